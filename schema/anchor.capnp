@0x9ea2dd250cf09bb7;
# Anchors: the cluster's shared namespace.
#
# "/" lists the live hosts by peer ID; "/<peer>/a/b" is an anchor in that
# host's tree. An anchor can hold one value that anyone who can walk there can
# load. A walk creates missing anchors (a lookup only reaches existing ones); an
# anchor disappears when no capability refers to it, it has no children and it
# holds no value.
#
# Paths are "/"-separated components of printable ASCII (0x21-0x7e); empty,
# "." and ".." components are rejected. A path is always relative to the anchor
# it is walked from: there is no way to reach a parent.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Channel = import "channel.capnp";
using Proc = import "proc.capnp";

struct Value {
  union {
    empty @0 :Void;
    bytes @1 :Data;
    chan @2 :Channel.Chan;
    sender @3 :Channel.Sender;
    recver @4 :Channel.Recver;
    closer @5 :Channel.Closer;
    proc @6 :Proc.Proc;
    anchor @7 :Anchor;
    cap @8 :Capability;
    # Any other capability.
  }
}

enum Kind {
  empty @0;
  bytes @1;
  chan @2;
  sender @3;
  recver @4;
  closer @5;
  proc @6;
  anchor @7;
  cap @8;
  host @9;
  # A child of the cluster root: a live host.
}

struct Child {
  name @0 :Text;
  kind @1 :Kind;
  # What the child holds.
  children @2 :UInt32;
  # How many children it has.
}

interface Anchor {
  ls @0 () -> (children :List(Child));
  # Children in name order.

  walk @1 (path :Text) -> (anchor :Anchor);
  # Creates missing anchors. An empty path or "/" returns this anchor.

  load @2 () -> (value :Value, cap :Capability);
  # cap: the capability the value holds, whatever its kind (null for bytes or an empty value),
  # outside the union. C++ and pycapnp clients cannot pipeline on a union member, so they pipeline
  # on this: walk("mbox").load().cap, cast to Sender, .send(...) is one round trip.

  store @3 (value :Value, overwrite :Bool) -> ();
  # With overwrite=false on an anchor that holds a value, fails with
  # "Occupied: ..." (compare-and-set for rendezvous). Storing an empty value
  # clears the anchor.

  path @4 () -> (path :Text);
  # This anchor's path from the root it was walked from.

  makeChan @5 (capacity :UInt32, overwrite :Bool) -> (chan :Channel.Chan);
  # Makes a channel on the host that owns this anchor and stores it here
  # (same overwrite rule as store).

  lookup @6 (path :Text) -> (anchor :Anchor);
  # Like walk, but creates nothing: fails with "NotFound: no anchor /a/b"
  # (naming the first anchor on the path that does not exist) instead.
  # Through the cluster root, an unknown peer fails with "NotFound: no live
  # host ...".

  clear @7 () -> ();
  # Clears the value held, like store of an empty value, but fails with
  # "NotFound: ... holds no value" when there is none.
}
