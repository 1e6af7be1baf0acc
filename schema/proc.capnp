@0xc3784de2715efe5c;
# Procs: WASM guest programs run by a host.

using Channel = import "channel.capnp";
using Anchor = import "anchor.capnp";

struct Limits {
  memoryBytes @0 :UInt64;
  # Maximum linear memory. 0 = the host's default (64 MiB).
  fuel @1 :UInt64;
  # Fuel budget: one unit per function entry and per loop iteration (not per instruction).
  # Out of fuel ends the proc with outOfFuel. 0 = unlimited.
  timeoutMs @2 :UInt64;
  # Wall-clock limit. 0 = none.
}

struct Module {
  # A module is named by the SHA-256 of its bytes.
  union {
    bytes @0 :Data;
    hash @1 :Data;
    # A host that lacks these bytes fetches them from `source`.
  }
  source @2 :ModuleSource;
  signatures @3 :List(ModuleSignature);
  # Detached signatures of the module (`ww sign`), by any number of signers. A host whose policy
  # allows only some modules checks them before it fetches or prepares the module; a host keeps the
  # ones it verified beside the module, and passes them on when a guest spawns the module elsewhere.
}

struct ModuleSignature {
  signer @0 :Data;
  # The signer's Ed25519 public key (32 bytes).
  signature @1 :Data;
  # Ed25519 over "ww module signature v1\n" followed by the module's SHA-256 (64 bytes).
}

interface ModuleSource {
  fetch @0 (hash :Data) -> (bytes :Data);
  # Fails with "ModuleNotFound: ..." when the bytes are not here.
}

struct SpawnRequest {
  module @0 :Module;
  args @1 :List(Text);
  # argv[1..]; argv[0] is the module's name.
  env @2 :List(Text);
  # "K=V" pairs.
  limits @3 :Limits;
  root @4 :Anchor.Anchor;
  # The anchor the proc sees as "/". Null = the cluster root.
  name @5 :Text;
  # argv[0]; defaults to the hash.
  stdin @6 :Bool;
  # True: the proc reads its standard input from Proc.stdin, one chunk per message (empty ones
  # are skipped), until every Sender that Proc.stdin handed out is released (end of input).
  # False: its input is empty.
  tied @7 :Bool;
  # True: the proc is killed when every reference to the Proc this spawn returned is released
  # (a dropped connection releases them): a foreground `ww run` whose client goes away.
  # False: it runs until it ends or is killed.
  detached @8 :Bool;
  # True: its output goes only to its log (Proc.log); Proc.stdout and Proc.stderr fail.
  # False: also to the channels Proc.stdout and Proc.stderr hand out, and a reader that falls
  # behind slows the guest down.
  progress @9 :SpawnProgress;
  # Optional: told each slow step the spawn takes before the proc starts.
  caps @10 :List(SpawnCap);
  # Capabilities handed to the proc at spawn (a guest finds them with ww_arg_cap(i), in this order).
}

struct SpawnCap {
  # A capability handed to a proc at spawn, with its kind.
  union {
    chan @0 :Channel.Chan;
    sender @1 :Channel.Sender;
    recver @2 :Channel.Recver;
    proc @3 :Proc;
  }
}

enum SpawnStep {
  fetching @0;
  # The host lacks the module's bytes and fetches them from Module.source.
  preparing @1;
  # The host transforms the module (first run of it on this host; cached afterwards).
}

interface SpawnProgress {
  step @0 (step :SpawnStep) -> ();
  # A step began; it lasts until the next step or until spawn returns.
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

interface Executor {
  spawn @0 (request :SpawnRequest) -> (proc :Proc);
  ps @1 () -> (procs :List(ProcInfo));
  proc @2 (pid :UInt32) -> (proc :Proc);
  # Fails with "NotFound: ..." for an unknown pid.
}
