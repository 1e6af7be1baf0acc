@0xb00ee0fd50b38045;
# A node's counters as structured data: the same values its /metrics endpoint
# (ww start --metrics ADDR) serves in Prometheus text format.

struct Label {
  name @0 :Text;
  value @1 :Text;
}

struct Sample {
  name @0 :Text;
  # The Prometheus metric name, e.g. "ww_rpc_calls_total".
  labels @1 :List(Label);
  value @2 :Float64;
  kind @3 :Kind;
  enum Kind {
    counter @0;  # only grows while the node runs: take its rate
    gauge @1;    # a level now
  }
}

struct Snapshot {
  atMs @0 :UInt64;
  # When the node read the counters (Unix time, milliseconds): two snapshots give rates.
  samples @1 :List(Sample);
}
