@0xd33700253629b37b;
# The interop suite's contract: every case of issue 3's "Proof" list has a method here.
# Both peers (the C++ reference in cpp/ and the TypeScript side) implement `Test`, and both
# run the same scenarios as clients. Comments say what a correct server does.
# TypeScript in gen/: tools/gen-schema.sh test/rpc/interop/gen test/rpc/interop ../../../../src/rpc/generated.js

enum ErrorKind {
  failed @0;
  overloaded @1;
  disconnected @2;
  unimplemented @3;
}

# Every primitive type, text, data and lists. The exchange method checks an agreed sample
# (see the peers' `sampleA`/`sampleB`): both directions are verified by value.
struct Primitives {
  v @0 :Void;
  b @1 :Bool;
  i8 @2 :Int8;
  i16 @3 :Int16;
  i32 @4 :Int32;
  i64 @5 :Int64;
  u8 @6 :UInt8;
  u16 @7 :UInt16;
  u32 @8 :UInt32;
  u64 @9 :UInt64;
  f32 @10 :Float32;
  f64 @11 :Float64;
  text @12 :Text;
  data @13 :Data;
  bools @14 :List(Bool);
  i64s @15 :List(Int64);
  f64s @16 :List(Float64);
  texts @17 :List(Text);
  points @18 :List(Point);
  nested @19 :Point;
}

struct Point {
  x @0 :Int32;
  y @1 :Int32;
  label @2 :Text;
}

# Shared by Counter.add and Test.addVia so that the server can answer addVia with a tail call.
struct AddResult {
  value @0 :Int64;
}

# Every `add` is recorded, so a peer can check the order in which calls arrived.
interface Counter {
  add @0 (by :Int64) -> AddResult;
  get @1 () -> (value :Int64);
  history @2 () -> (adds :List(Int64));
}

# A capability held by the server and called after the registering call has returned.
interface Callback {
  notify @0 (value :Int64) -> (ack :Int64);   # ack = value * 2
}

interface Thrower {
  raise @0 (kind :ErrorKind, reason :Text) -> ();   # always throws an exception of `kind` with `reason`
}

# Pipelining three deep: root("a").node.child("b").node.child("c").node.path() == "a/b/c".
interface Node {
  child @0 (name :Text) -> (node :Node);
  path @1 () -> (path :Text);
}

# Capabilities in struct fields, both as a single field and as a list.
struct Holder {
  name @0 :Text;
  counter @1 :Counter;
  counters @2 :List(Counter);
}

# A slow consumer: each write takes `delayMs` (given to Test.sink) before the next one runs.
interface Sink {
  write @0 (chunk :Data) -> stream;
  done @1 () -> (bytes :UInt64, chunks :UInt32);
}

interface Test {
  # p must equal sampleA; the server answers sampleB and lists any field of p that differed.
  exchange @0 (p :Primitives) -> (p :Primitives, mismatches :Text);

  # A new server-hosted Counter starting at `start`; live while referenced (see liveObjects).
  newCounter @1 (start :Int64) -> (counter :Counter);

  # Capability in params: the server calls counter.add(by) and returns the value.
  callCounter @2 (counter :Counter, by :Int64) -> (value :Int64);

  # Capabilities in result struct fields: counter starts at `start`, counters[i] at start + i + 1.
  makeHolder @3 (name :Text, start :Int64, extra :UInt32) -> (holder :Holder);

  # Capabilities in param struct fields: sum of get() over holder.counter and holder.counters.
  sumHolder @4 (holder :Holder) -> (sum :Int64);

  # The server keeps cb until unregisterAll; fire calls every kept callback and sums the acks.
  register @5 (cb :Callback) -> (registered :UInt32);
  fire @6 (value :Int64) -> (sum :Int64, count :UInt32);
  unregisterAll @7 () -> (dropped :UInt32);

  # Head of a pipelined Node chain.
  root @8 (name :Text) -> (node :Node);

  # Returns the caller's own capability: pipelined calls on the answer are reflected back to the
  # caller (C++ uses a tail call), and calls made after the answer resolves go directly to the
  # local object; the caller must see all of them in the order it made them (Disembargo).
  echoCounter @9 (counter :Counter) -> (counter :Counter);

  # Returns a promise capability at once (senderPromise) that resolves after delayMs to a new
  # Counter starting at `start` (Resolve), or, when start < 0, to a broken capability whose
  # calls fail with reason "negative start" (Resolve with an exception).
  laterCounter @10 (start :Int64, delayMs :UInt32) -> (counter :Counter);

  # Returns a promise capability that resolves after delayMs to the caller's own `counter`.
  laterEcho @11 (counter :Counter, delayMs :UInt32) -> (counter :Counter);

  # Tail call: the server answers with counter.add(by) as a tail call (sendResultsTo.yourself /
  # takeFromOtherQuestion when counter is hosted by the caller).
  addVia @12 (counter :Counter, by :Int64) -> AddResult;

  # Number of server-hosted objects alive (Counter, Node, Sink): destructors/releases observed.
  liveObjects @13 () -> (count :Int64);

  # Throws an exception of `kind` with `reason`.
  fail @14 (kind :ErrorKind, reason :Text) -> ();

  # Calls thrower.raise(kind, reason) and reports the exception it caught.
  relayFailure @15 (thrower :Thrower, kind :ErrorKind, reason :Text) -> (kind :ErrorKind, reason :Text);

  # Not implemented by any server: the caller gets an `unimplemented` exception.
  missing @16 () -> ();

  # Never returns by itself (waits at most 60 s); counts starts and observed cancellations.
  hang @17 () -> ();
  hangStats @18 () -> (started :UInt32, canceled :UInt32);

  # A Sink whose writes each take delayMs; progress() reports how many chunks it has consumed.
  sink @19 (delayMs :UInt32) -> (sink :Sink);
  sinkProgress @20 () -> (chunks :UInt32, bytes :UInt64);

  # Keeps a caller-hosted counter until dropHeld (release of a caller-hosted capability).
  hold @21 (counter :Counter) -> ();
  dropHeld @22 () -> (dropped :UInt32);

  # Large messages (several segments each way): the bytes reversed and their sum.
  bulk @23 (data :Data) -> (reversed :Data, sum :UInt64);
}
