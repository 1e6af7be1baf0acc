@0x875b72b5f6dcc908;
# The Host: the bootstrap capability every node serves, on libp2p
# (/ww/<namespace>/rpc/<version>) and on its local API socket.

using Anchor = import "anchor.capnp";
using Cluster = import "cluster.capnp";
using Proc = import "proc.capnp";
using PubSub = import "pubsub.capnp";
using Metrics = import "metrics.capnp";

struct HostInfo {
  peer @0 :Text;
  instance @1 :UInt64;
  hostname @2 :Text;
  namespace @3 :Text;
  addrs @4 :List(Text);
  meta @5 :List(Text);
  version @6 :Text;
}

interface Host {
  info @0 () -> (info :HostInfo);
  root @1 () -> (anchor :Anchor.Anchor);
  # The cluster root "/": its children are the live hosts.
  local @2 () -> (anchor :Anchor.Anchor);
  # This host's own tree, "/<peer>".
  cluster @3 () -> (view :Cluster.View);
  executor @4 () -> (executor :Proc.Executor);
  pubsub @5 () -> (router :PubSub.Router);
  peer @6 (peer :Text) -> (host :Host);
  # Another live host's Host, reached through this one (so an API-socket client can run procs
  # anywhere). "" or this host's own peer ID returns this Host. NotFound for an unknown peer.

  # The owner's methods: served only on the local API socket. The Host that libp2p peers get
  # refuses them with PermissionDenied.
  stop @7 () -> (pid :UInt32);
  # Starts a graceful stop (close API connections, leave the cluster, exit) and returns at once,
  # with the node's process ID, so the caller can wait for the process to end.
  connect @8 (addr :Text) -> (peer :Text);
  # Dials a peer by multiaddr (/p2p/<peer ID> optional) and returns its peer ID.
  # InvalidArgument for a malformed address, Unavailable when it cannot be reached.

  reserved9 @9 () -> ();
  # A placeholder: @9 is deployments (issue 21, deploy branch), which replaces it at the merge
  # (capnp allows no hole in the ordinals). Fails Unimplemented.
  metrics @10 () -> (snapshot :Metrics.Snapshot);
  # This host's counters (connections, RPC calls and errors by method, channel messages, procs
  # by state, membership messages and size), as its /metrics endpoint serves them. Needs 'read'.
}
