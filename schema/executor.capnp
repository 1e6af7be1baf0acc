@0xf1145d3abad2ab83;
# Spawning procs: the Executor, what a spawn asks for, and where a module's bytes come from.
#
# Split from proc.capnp so that no two schema files import each other (capnp's C++ generator cannot compile an
# import cycle): proc.capnp holds a running Proc and needs only channels; anchor.capnp needs Proc (a Value can
# hold one); this file needs both (a spawn names the proc's root anchor). The types moved here keep the ids they
# had in proc.capnp (the @0x... after each name), so the wire is unchanged. Limits stays in proc.capnp: a
# running proc reports its limits (ProcInfo.limits).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Channel = import "channel.capnp";
using Anchor = import "anchor.capnp";
using Proc = import "proc.capnp";

struct Module @0xbf43c6db22aac3ce {
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

struct ModuleSignature @0xf4e446ce9db5ee14 {
  signer @0 :Data;
  # The signer's Ed25519 public key (32 bytes).
  signature @1 :Data;
  # Ed25519 over "ww module signature v1\n" followed by the module's SHA-256 (64 bytes).
}

interface ModuleSource @0xf5c3edb45e46b6a8 {
  fetch @0 (hash :Data) -> (bytes :Data);
  # Fails with "ModuleNotFound: ..." when the bytes are not here.
}

struct SpawnRequest @0x9098958e72403830 {
  module @0 :Module;
  args @1 :List(Text);
  # argv[1..]; argv[0] is the module's name.
  env @2 :List(Text);
  # "K=V" pairs.
  limits @3 :Proc.Limits;
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

struct SpawnCap @0x9f7036138fe1d1a4 {
  # A capability handed to a proc at spawn, with its kind.
  union {
    chan @0 :Channel.Chan;
    sender @1 :Channel.Sender;
    recver @2 :Channel.Recver;
    proc @3 :Proc.Proc;
  }
}

enum SpawnStep @0xe9ab7f90f15b2a8e {
  fetching @0;
  # The host lacks the module's bytes and fetches them from Module.source.
  preparing @1;
  # The host transforms the module (first run of it on this host; cached afterwards).
}

interface SpawnProgress @0x842f428a52148e75 {
  step @0 (step :SpawnStep) -> ();
  # A step began; it lasts until the next step or until spawn returns.
}

interface Executor @0x809afec18dd440c9 {
  spawn @0 (request :SpawnRequest) -> (proc :Proc.Proc);
  ps @1 () -> (procs :List(Proc.ProcInfo));
  proc @2 (pid :UInt32) -> (proc :Proc.Proc);
  # Fails with "NotFound: ..." for an unknown pid.
}
