@0xb350bc17c2f8f5ed;
# Cluster membership: each host's signed record (the Heartbeat struct, named for
# its history), spread by SWIM and table sync, and the View of live hosts each
# node builds from them.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

struct Heartbeat {
  # A host's record, signed by it in the signed pubsub message format (for the
  # namespace's cluster topic). The author's peer ID and the sequence number (with
  # the instance, the host's SWIM incarnation) come from that envelope, not from here.
  instance @0 :UInt64;
  # Random per boot: tells a restart apart from the same peer.
  hostname @1 :Text;
  meta @2 :List(Text);
  # "k=v" tags.
  ttlMs @3 :UInt32;
  # The record expires this long after it is received.
  addrs @4 :List(Text);
  # Listen multiaddrs.
  leaving @5 :Bool;
  # Sent once at shutdown: drop this host now.
  issuedAtMs @6 :Int64;
  # Unix time in milliseconds when the author signed it. Signed with the rest, so
  # no host handing the record on can make it younger: it lives at most until
  # issuedAtMs + ttlMs + the receiver's allowance for clock skew.
  endpoints @7 :List(Text);
  # The names of the endpoints this host serves (published by its procs or API
  # clients), sorted; a lookup asks only the hosts that list the name.
  topics @8 :List(UInt64);
  # The user pubsub topics this host subscribes to, each as the first 8 bytes of
  # the SHA-256 of its namespaced topic (/ww/<ns>/topic/<name>) read big-endian,
  # at most 64 (maxAdvertisedTopics): hosts sharing a topic keep a connection to
  # each other, which gossipsub needs to forward its messages.
}

struct HostRecord {
  peer @0 :Text;
  instance @1 :UInt64;
  seq @2 :UInt64;
  hostname @3 :Text;
  meta @4 :List(Text);
  addrs @5 :List(Text);
  ttlMs @6 :UInt32;
  lastSeenMs @7 :Int64;
  # Unix time in milliseconds this node last heard from that host (its record, or
  # any SWIM message from it).
}

struct MembershipEvent {
  union {
    join @0 :HostRecord;
    leave @1 :HostRecord;
  }
}

interface View {
  ls @0 (where :List(Text)) -> (hosts :List(HostRecord));
  # Live hosts whose meta has every "k=v" pair in `where`, in peer ID order.

  lookup @1 (peer :Text) -> (record :HostRecord, found :Bool);

  watch @2 (watcher :Watcher) -> (subscription :Subscription);
  # Calls watcher.event for every join and leave until the subscription is
  # released or canceled.

  interface Watcher {
    event @0 (event :MembershipEvent) -> stream;
  }
}

interface Subscription {
  cancel @0 () -> ();
  # Releasing the capability cancels too.
}
