@0xc3784de2715efe5c;
# Procs: WASM guest programs run by a host. A running Proc and how it ended; starting one is in executor.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Channel = import "channel.capnp";

struct Limits @0xa83e8a745e2b738f {
  memoryBytes @0 :UInt64;
  # Maximum linear memory. 0 = the host's default (64 MiB).
  fuel @1 :UInt64;
  # Fuel budget: one unit per function entry and per loop iteration (not per instruction).
  # Out of fuel ends the proc with outOfFuel. 0 = unlimited.
  timeoutMs @2 :UInt64;
  # Wall-clock limit. 0 = none.
}

enum ExitReason {
  exited @0;
  killed @1;
  outOfFuel @2;
  outOfMemory @3;
  trapped @4;
  timedOut @5;
}

struct ExitStatus {
  reason @0 :ExitReason;
  code @1 :Int32;
  # The guest's exit code when reason = exited.
  message @2 :Text;
  # What happened, for a human.
}

enum ProcState {
  running @0;
  exited @1;
}

struct ProcInfo {
  pid @0 :UInt32;
  # Unique on its host.
  peer @1 :Text;
  name @2 :Text;
  moduleHash @3 :Data;
  args @4 :List(Text);
  startedMs @5 :Int64;
  # Unix time in milliseconds.
  state @6 :ProcState;
  status @7 :ExitStatus;
  # Set when state = exited.
  endedMs @8 :Int64;
  # Unix time in milliseconds; set when state = exited.
  uptimeMs @9 :Int64;
  # How long it has run (running) or ran (exited), by its host's clock.
  limits @10 :Limits;
  # What it runs within: its memory maximum (the host's default filled in), fuel budget, wall-clock limit.
}

enum OutputStream {
  stdout @0;
  stderr @1;
}

interface Proc {
  wait @0 () -> (status :ExitStatus);
  kill @1 (reason :Text) -> (alreadyEnded :Bool, status :ExitStatus);
  # alreadyEnded: the proc had ended before this call (nothing was killed); status: how it ended.
  # reason: why, for a human (e.g. "its parent ended"); the proc's status message becomes
  # "killed: <reason>" (at most 200 bytes of it), or "killed" when empty.
  stdout @2 () -> (recver :Channel.Recver);
  stderr @3 () -> (recver :Channel.Recver);
  stdin @4 () -> (sender :Channel.Sender);
  # Fails with "NotFound: ..." unless the proc was spawned with stdin = true. Releasing the last
  # of these Senders ends the input (a send waits while the proc's input buffer is full).
  info @5 () -> (info :ProcInfo);
  log @6 (stream :OutputStream, from :UInt64, wait :Bool) -> (data :Data, start :UInt64, end :UInt64, ended :Bool);
  # What the proc wrote to `stream`, from byte offset `from` (offsets count every byte it ever
  # wrote there). The host keeps only the last bytes of each stream (src/proc/limits.ts, logBytes):
  # data starts at `start`, later than `from` when the bytes between were dropped; at most
  # logReadBytes of it. `end`: the offset after the last byte written so far; `ended`: the stream
  # is complete (the proc ended). With wait and nothing after `from`, waits until there is, or
  # until the proc ends.
}
