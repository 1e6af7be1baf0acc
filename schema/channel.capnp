@0xbfe9e18a132c2218;
# Channels: buffered FIFO queues of messages, shared as capabilities.
#
# A channel has a capacity (0 = rendezvous: a send completes only when a receiver
# takes the message). Senders and receivers are served in arrival order. The
# capability facets attenuate authority: hand out a Sender to let someone write,
# a Recver to let someone read, a Closer to let someone close.
#
# Errors travel as Cap'n Proto exceptions whose reason starts with the error
# name, e.g. "Closed: channel is closed".

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ww");  # C++ clients see ww::Host, ww::Anchor, ...

struct Message {
  # One message. Bytes, optionally with a capability riding along (for example
  # a Sender on which the receiver should answer).
  data @0 :Data;
  cap @1 :Capability;
}

interface Closer {
  close @0 () -> ();
  # Later sends fail with Closed; receivers drain the buffer, then get Closed;
  # senders waiting for room fail with Closed. Closing twice is not an error.
}

interface Sender {
  send @0 (msg :Message) -> ();
  # Returns once the message is in the buffer or handed to a receiver, so a full
  # buffer slows the caller down (backpressure across the network). If the call
  # is canceled before it returns, the message was not enqueued.
}

interface Recver {
  recv @0 () -> (msg :Message);
  # Waits for a message. If the call is canceled before it returns, no message
  # was taken.
}

interface Chan extends(Sender, Recver, Closer) {
  sender @0 () -> (sender :Sender);
  recver @1 () -> (recver :Recver);
  closer @2 () -> (closer :Closer);
  stat @3 () -> (stat :ChanStat);
}

struct ChanStat {
  capacity @0 :UInt32;
  buffered @1 :UInt32;
  waitingSenders @2 :UInt32;
  waitingRecvers @3 :UInt32;
  closed @4 :Bool;
}

interface RequestSender extends(Sender) {
  # The Sender facet of a channel served by ww: send, and request/reply in one call.
  request @0 (msg :Message) -> (reply :Message);
  # Enqueues `msg` with a fresh reply Sender of this host in its cap field (any cap given is
  # released) and returns the first message sent on that reply Sender, whose capability comes
  # along. Across the network a request/reply is then one call, where a send carrying a reply
  # capability, the answer's call back and the capability's release take two calls and a release.
  # Canceling the call drops the reply.
}
