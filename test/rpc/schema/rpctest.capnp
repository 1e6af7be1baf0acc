@0xc1a7e3b2d4f60a91;
# Interfaces for the RPC layer's own tests (test/rpc/*.test.ts).

# A consumer fed by `-> stream` calls; `count` is an ordinary call on the same object.
interface Sink {
  write @0 (seq :UInt32, chunk :Data) -> stream;
  count @1 () -> (writes :UInt32, bytes :UInt64);
}

# Answers itself, or forwards to another Adder (tail calls).
interface Adder {
  add @0 (a :Int64, b :Int64) -> (sum :Int64, via :Text);
  next @1 () -> (adder :Adder);
  addVia @2 (adder :Adder, a :Int64, b :Int64) -> (sum :Int64, via :Text);
}
