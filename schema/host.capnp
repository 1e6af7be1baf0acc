@0x875b72b5f6dcc908;
# The Host: the bootstrap capability every node serves, on libp2p
# (/ww/<namespace>/rpc/<version>) and on its local API socket.
#
# Errors reach a client as Cap'n Proto exceptions. The reason names the error, "<Name>: <what>"
# (NotFound, InvalidArgument, PermissionDenied, LimitExceeded, Closed, Occupied, Timeout, ...),
# and the exception type keeps the meaning the RPC spec gives it, so a generic client knows what
# a retry can do:
#   failed         permanent for this request: every error not listed below, LimitExceeded included
#                  (a limit is not a passing overload; retrying the same request fails the same way)
#   overloaded     Unavailable: something needed cannot be had now (e.g. a peer that cannot be
#                  reached): retry later, with backoff
#   disconnected   Disconnected: the connection, or the host behind the capability, went away:
#                  reconnect (or walk again), then retry
#   unimplemented  Unimplemented: no such method or interface here

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Anchor = import "anchor.capnp";
using Cluster = import "cluster.capnp";
using Deploy = import "deploy.capnp";
using PubSub = import "pubsub.capnp";
using Executor = import "executor.capnp";
using Endpoints = import "endpoints.capnp";
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
  executor @4 () -> (executor :Executor.Executor);
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

  deployments @9 () -> (deployments :Deploy.Deployments);
  # Deployments: the same on every host. Deploy, scale and undeploy only through the owner's Host (the API
  # socket): a record runs with its signing host's rights. A peer's Host lists them (needs 'read').
  metrics @10 () -> (snapshot :Metrics.Snapshot);
  # This host's counters (connections, RPC calls and errors by method, channel messages, procs
  # by state, membership messages and size), as its /metrics endpoint serves them. Needs 'read'.
  endpoints @11 () -> (endpoints :Endpoints.Endpoints);
  # Named endpoints (endpoints.capnp). A libp2p peer's Host gives one that refuses
  # publish and unpublish (a host publishes only its own), and list and send to a
  # peer without 'write' (names needs 'read').
}
