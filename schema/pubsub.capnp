@0xfb3b721b8f673ad8;
# Cluster pubsub over gossipsub, as capabilities.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

using Cluster = import "cluster.capnp";

interface Router {
  join @0 (name :Text) -> (topic :Topic);
}

interface Topic {
  name @0 () -> (name :Text);
  publish @1 (msg :Data) -> ();
  subscribe @2 (subscriber :Subscriber, buffer :UInt32 = 32) -> (subscription :Cluster.Subscription);
  # Up to `buffer` messages wait for a slow subscriber; past that the oldest is
  # dropped and counted.

  interface Subscriber {
    deliver @0 (msg :Data, from :Text) -> stream;
  }
}
