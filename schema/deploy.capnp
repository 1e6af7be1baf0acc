@0x9682b8ddae63e90c;
# Deployments: a module run as N replicas across the cluster, kept running by the live hosts with no leader
# (ARCHITECTURE.md, "Deployments"). Reached by Host.deployments.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Proc = import "proc.capnp";
using Executor = import "executor.capnp";

struct DeploySpec {
  name @0 :Text;
  # 1-64 letters, digits, '.', '_' or '-'.
  module @1 :Data;
  # The module's SHA-256.
  args @2 :List(Text);
  env @3 :List(Text);
  # "K=V" pairs; every replica also gets WW_DEPLOYMENT=<name> and WW_REPLICA=<index>.
  limits @4 :Proc.Limits;
  root @5 :Text;
  # The anchor path the replicas see as "/"; "" = the cluster root.
  replicas @6 :UInt32;
  where @7 :List(Text);
  # "k=v" pairs a host's meta must all hold to run replicas.
  spread @8 :Text;
  # Spread the replicas evenly over the values of this meta key; "" = no spread.
  perHost @9 :Bool;
  # One replica on every matching host (replicas is ignored).
}

struct ReplicaStatus {
  deployment @0 :Text;
  index @1 :UInt32;
  host @2 :Text;
  # The peer ID of the host it runs on.
  pid @3 :UInt32;
  # 0 while it does not run.
  state @4 :Text;
  # "starting", "running", "backoff" (ended; restarted after a delay) or "failed" (could not start; retried).
  restarts @5 :UInt32;
  lastExit @6 :Text;
  # How it last ended or failed to start; "" if it never did.
  version @7 :UInt64;
  # The version of the deployment it runs.
}

struct DeploymentStatus {
  name @0 :Text;
  version @1 :UInt64;
  author @2 :Text;
  # The peer ID of the host that made this version.
  spec @3 :DeploySpec;
  placed @4 :List(Text);
  # The host of each replica, by index, as the host answering computes it.
  unplaceable @5 :Bool;
  # No live host matches: nothing runs until one does.
  replicas @6 :List(ReplicaStatus);
  # What the hosts report (a host that cannot be reached is left out).
}

interface Deployments {
  deploy @0 (spec :DeploySpec, source :Executor.ModuleSource) -> (version :UInt64);
  # Makes or replaces a deployment. The host fetches the module from source when it lacks it
  # (ModuleNotFound when it cannot). InvalidArgument for a bad spec, LimitExceeded beyond maxReplicas or
  # maxDeployments.
  scale @1 (name :Text, replicas :UInt32) -> (version :UInt64);
  # NotFound for a name that is not deployed.
  undeploy @2 (name :Text) -> (version :UInt64);
  # Leaves a tombstone; every host stops the replicas. NotFound for a name that is not deployed.
  list @3 () -> (deployments :List(DeploymentStatus));
  # Every live deployment, with the replicas the live hosts report.
  local @4 () -> (replicas :List(ReplicaStatus));
  # The replicas this host runs or restarts.
  source @5 () -> (source :Executor.ModuleSource);
  # The modules of this host's deployments, for hosts that lack them.
}
