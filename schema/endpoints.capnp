@0xc4d1a7e35b2f9e61;
# Named endpoints: a proc (or an API client) publishes a channel's Sender under a
# name; anyone in the cluster finds the live endpoints of a name and sends to one.
#
# Each host keeps the endpoints published on it and names them in its signed
# membership record, so the names travel with SWIM's gossip and vanish with a host
# that dies or leaves. A lookup asks only the hosts whose record lists the name.
# Names: 1..64 bytes of letters, digits, '.', '_' and '-'; a host serves at most 64.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Channel = import "channel.capnp";

struct Endpoint {
  peer @0 :Text;
  # The host it lives on.
  pid @1 :UInt32;
  # The proc that published it; 0 for an API client's.
  id @2 :UInt64;
  # Unique on its host (a proc may publish under several names).
  ageMs @3 :UInt64;
  # Time since it was published.
  sender @4 :Channel.Sender;
}

struct LeftOutHost {
  peer @0 :Text;
  reason @1 :Text;
  # Why its endpoints are not listed, as an error's reason: "PermissionDenied: ..." (it refused this host),
  # "Unavailable: host ... did not answer within 3000 ms", "Disconnected: ...".
}

struct NameCount {
  name @0 :Text;
  hosts @1 :UInt32;
  # Live hosts whose record lists the name.
}

enum Pick {
  roundRobin @0;
  # Each send from this host to the name goes to the next endpoint, in (peer, id) order.
  random @1;
}

interface Publication {
  unpublish @0 () -> ();
  # Ends the endpoint (releasing the Publication does too).
}

interface Endpoints {
  publish @0 (name :Text, sender :Channel.Sender) -> (publication :Publication);
  # Publishes `sender` under `name` on this host, for as long as the caller holds
  # the Publication. Only this host's owner (the API socket) may publish here:
  # others fail PermissionDenied. InvalidArgument for a bad name, LimitExceeded
  # past the names a host may serve or the endpoints per name.
  unpublish @1 (name :Text, id :UInt64) -> ();
  # Ends endpoint `id` of `name` on this host (the owner's; NotFound when gone).
  list @2 (name :Text, here :Bool) -> (endpoints :List(Endpoint), leftOut :List(LeftOutHost));
  # The live endpoints of `name` across the cluster, in (peer, id) order; with
  # `here`, only this host's. Hosts whose record lists the name but that refuse,
  # fail or do not answer in time are left out, and named in `leftOut`.
  names @3 () -> (names :List(NameCount));
  # Every name some live host serves, sorted.
  send @4 (name :Text, msg :Channel.Message, pick :Pick) -> (peer :Text, pid :UInt32, id :UInt64);
  # Sends `msg` to one live endpoint of `name` and says which. NotFound when none
  # is live; if the chosen one fails (its host went away) the next is tried.
}
