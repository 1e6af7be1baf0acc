// The C++ reference peer: serves interop.capnp's Test, a fresh one per connection, over the
// two-party protocol (the same TwoPartyVatNetwork + RpcSystem EzRpcServer uses).
// Usage: server <bind address>   e.g. unix:/tmp/x.sock or 127.0.0.1:0
// Prints "listening <address>" once bound, then serves until killed.

#include "common.h"
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/main.h>
#include <iostream>
#include <memory>

using namespace interop;

namespace {

struct SinkProgress {
  uint32_t chunks = 0;
  uint64_t bytes = 0;
};

// Process-wide, so that a cancellation observed while a connection winds down still counts.
struct HangStats {
  uint32_t started = 0;
  uint32_t canceled = 0;
} hangCounts;

class NodeImpl final: public Node::Server, private Live {
public:
  explicit NodeImpl(kj::String path): path_(kj::mv(path)) {}
  kj::Promise<void> child(ChildContext context) override {
    auto name = context.getParams().getName();
    context.getResults().setNode(kj::heap<NodeImpl>(kj::str(path_, "/", name)));
    return kj::READY_NOW;
  }
  kj::Promise<void> path(PathContext context) override {
    context.getResults().setPath(path_);
    return kj::READY_NOW;
  }
private:
  kj::String path_;
};

class SinkImpl final: public Sink::Server, private Live {
public:
  SinkImpl(kj::Timer& timer, uint32_t delayMs, std::shared_ptr<SinkProgress> progress)
      : timer(timer), delayMs(delayMs), progress(kj::mv(progress)) {}
  kj::Promise<void> write(WriteContext context) override {
    size_t size = context.getParams().getChunk().size();
    return timer.afterDelay(delayMs * kj::MILLISECONDS).then([this, size]() {
      progress->chunks++;
      progress->bytes += size;
    });
  }
  kj::Promise<void> done(DoneContext context) override {
    auto r = context.getResults();
    r.setBytes(progress->bytes);
    r.setChunks(progress->chunks);
    return kj::READY_NOW;
  }
private:
  kj::Timer& timer;
  uint32_t delayMs;
  std::shared_ptr<SinkProgress> progress;
};

// Runs when a hang() call ends; counts it as canceled unless its timer fired.
struct HangProbe {
  bool finished = false;
  ~HangProbe() { if (!finished) hangCounts.canceled++; }
};

class TestImpl final: public Test::Server {
public:
  explicit TestImpl(kj::Timer& timer): timer(timer) {}

  kj::Promise<void> exchange(ExchangeContext context) override {
    auto bad = sampleAMismatches(context.getParams().getP());
    auto r = context.getResults();
    fillSampleB(r.initP());
    r.setMismatches(bad.c_str());
    return kj::READY_NOW;
  }

  kj::Promise<void> newCounter(NewCounterContext context) override {
    context.getResults().setCounter(kj::heap<CounterImpl>(context.getParams().getStart()));
    return kj::READY_NOW;
  }

  kj::Promise<void> callCounter(CallCounterContext context) override {
    auto params = context.getParams();
    auto req = params.getCounter().addRequest();
    req.setBy(params.getBy());
    return req.send().then([context](capnp::Response<AddResult> r) mutable {
      context.getResults().setValue(r.getValue());
    });
  }

  kj::Promise<void> makeHolder(MakeHolderContext context) override {
    auto params = context.getParams();
    auto h = context.getResults().initHolder();
    h.setName(params.getName());
    h.setCounter(kj::heap<CounterImpl>(params.getStart()));
    auto list = h.initCounters(params.getExtra());
    for (uint i = 0; i < list.size(); i++) list.set(i, kj::heap<CounterImpl>(params.getStart() + i + 1));
    return kj::READY_NOW;
  }

  kj::Promise<void> sumHolder(SumHolderContext context) override {
    auto h = context.getParams().getHolder();
    kj::Vector<kj::Promise<int64_t>> parts;
    auto get = [](Counter::Client c) {
      return c.getRequest().send().then([](capnp::Response<Counter::GetResults> r) { return r.getValue(); });
    };
    parts.add(get(h.getCounter()));
    for (auto c: h.getCounters()) parts.add(get(c));
    return kj::joinPromises(parts.releaseAsArray()).then([context](kj::Array<int64_t> values) mutable {
      int64_t sum = 0;
      for (auto v: values) sum += v;
      context.getResults().setSum(sum);
    });
  }

  kj::Promise<void> register_(RegisterContext context) override {
    callbacks.add(context.getParams().getCb());
    context.getResults().setRegistered(callbacks.size());
    return kj::READY_NOW;
  }

  kj::Promise<void> fire(FireContext context) override {
    auto value = context.getParams().getValue();
    kj::Vector<kj::Promise<int64_t>> acks;
    for (auto& cb: callbacks) {
      auto req = cb.notifyRequest();
      req.setValue(value);
      acks.add(req.send().then([](capnp::Response<Callback::NotifyResults> r) { return r.getAck(); }));
    }
    uint32_t count = callbacks.size();
    return kj::joinPromises(acks.releaseAsArray()).then([context, count](kj::Array<int64_t> values) mutable {
      int64_t sum = 0;
      for (auto v: values) sum += v;
      context.getResults().setSum(sum);
      context.getResults().setCount(count);
    });
  }

  kj::Promise<void> unregisterAll(UnregisterAllContext context) override {
    context.getResults().setDropped(callbacks.size());
    callbacks.clear();
    return kj::READY_NOW;
  }

  kj::Promise<void> root(RootContext context) override {
    context.getResults().setNode(kj::heap<NodeImpl>(kj::str(context.getParams().getName())));
    return kj::READY_NOW;
  }

  kj::Promise<void> echoCounter(EchoCounterContext context) override {
    context.getResults().setCounter(context.getParams().getCounter());
    return kj::READY_NOW;
  }

  kj::Promise<void> laterCounter(LaterCounterContext context) override {
    auto params = context.getParams();
    int64_t start = params.getStart();
    auto promise = timer.afterDelay(params.getDelayMs() * kj::MILLISECONDS).then([start]() -> Counter::Client {
      if (start < 0) return Counter::Client(KJ_EXCEPTION(FAILED, "negative start"));
      return Counter::Client(kj::heap<CounterImpl>(start));
    });
    context.getResults().setCounter(Counter::Client(kj::mv(promise)));
    return kj::READY_NOW;
  }

  kj::Promise<void> laterEcho(LaterEchoContext context) override {
    auto params = context.getParams();
    Counter::Client target = params.getCounter();
    auto promise = timer.afterDelay(params.getDelayMs() * kj::MILLISECONDS)
        .then([target = kj::mv(target)]() mutable { return kj::mv(target); });
    context.getResults().setCounter(Counter::Client(kj::mv(promise)));
    return kj::READY_NOW;
  }

  kj::Promise<void> addVia(AddViaContext context) override {
    auto params = context.getParams();
    auto req = params.getCounter().addRequest();
    req.setBy(params.getBy());
    return context.tailCall(kj::mv(req));
  }

  kj::Promise<void> liveObjects(LiveObjectsContext context) override {
    context.getResults().setCount(interop::liveObjects());
    return kj::READY_NOW;
  }

  kj::Promise<void> fail(FailContext context) override {
    auto p = context.getParams();
    return kj::Exception(toKjType(p.getKind()), __FILE__, __LINE__, kj::str(p.getReason()));
  }

  kj::Promise<void> relayFailure(RelayFailureContext context) override {
    auto p = context.getParams();
    auto req = p.getThrower().raiseRequest();
    req.setKind(p.getKind());
    req.setReason(p.getReason());
    return req.send().then(
        [](capnp::Response<Thrower::RaiseResults>) -> kj::Promise<void> {
          return KJ_EXCEPTION(FAILED, "thrower.raise() returned instead of throwing");
        },
        [context](kj::Exception&& e) mutable -> kj::Promise<void> {
          auto r = context.getResults();
          r.setKind(fromKjType(e.getType()));
          r.setReason(remoteReason(e));
          return kj::READY_NOW;
        });
  }

  // missing() is deliberately not overridden: the base class answers "unimplemented".

  kj::Promise<void> hang(HangContext context) override {
    context.allowCancellation();
    hangCounts.started++;
    auto probe = kj::heap<HangProbe>();
    auto& p = *probe;
    return timer.afterDelay(60 * kj::SECONDS).then([&p]() { p.finished = true; }).attach(kj::mv(probe));
  }

  kj::Promise<void> hangStats(HangStatsContext context) override {
    context.getResults().setStarted(hangCounts.started);
    context.getResults().setCanceled(hangCounts.canceled);
    return kj::READY_NOW;
  }

  kj::Promise<void> sink(SinkContext context) override {
    lastSink = std::make_shared<SinkProgress>();
    context.getResults().setSink(kj::heap<SinkImpl>(timer, context.getParams().getDelayMs(), lastSink));
    return kj::READY_NOW;
  }

  kj::Promise<void> sinkProgress(SinkProgressContext context) override {
    auto r = context.getResults();
    if (lastSink) {
      r.setChunks(lastSink->chunks);
      r.setBytes(lastSink->bytes);
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> hold(HoldContext context) override {
    held.add(context.getParams().getCounter());
    return kj::READY_NOW;
  }

  kj::Promise<void> dropHeld(DropHeldContext context) override {
    context.getResults().setDropped(held.size());
    held.clear();
    return kj::READY_NOW;
  }

  kj::Promise<void> bulk(BulkContext context) override {
    auto data = context.getParams().getData();
    auto r = context.getResults();
    auto out = r.initReversed(data.size());
    uint64_t sum = 0;
    for (size_t i = 0; i < data.size(); i++) {
      out[data.size() - 1 - i] = data[i];
      sum += data[i];
    }
    r.setSum(sum);
    return kj::READY_NOW;
  }

private:
  kj::Timer& timer;
  kj::Vector<Callback::Client> callbacks;
  kj::Vector<Counter::Client> held;
  std::shared_ptr<SinkProgress> lastSink;
};

// One accepted connection with its own RPC system and its own Test.
struct Connection {
  Connection(kj::Own<kj::AsyncIoStream>&& s, kj::Timer& timer)
      : stream(kj::mv(s)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER),
        rpc(capnp::makeRpcServer(network, Test::Client(kj::heap<TestImpl>(timer)))) {}
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

class ErrorHandler final: public kj::TaskSet::ErrorHandler {
public:
  void taskFailed(kj::Exception&& e) override {
    KJ_LOG(INFO, "connection ended", e);
  }
};

kj::Promise<void> acceptLoop(kj::ConnectionReceiver& listener, kj::Timer& timer, kj::TaskSet& tasks) {
  return listener.accept().then([&listener, &timer, &tasks](kj::Own<kj::AsyncIoStream>&& stream) {
    auto conn = kj::heap<Connection>(kj::mv(stream), timer);
    auto done = conn->network.onDisconnect();
    tasks.add(done.attach(kj::mv(conn)));
    return acceptLoop(listener, timer, tasks);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <bind address: unix:/path or host:port>" << std::endl;
    return 2;
  }
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  kj::StringPtr bind = argv[1];
  auto addr = io.provider->getNetwork().parseAddress(bind).wait(io.waitScope);
  auto listener = addr->listen();
  if (bind.startsWith("unix:")) {
    std::cout << "listening " << bind.cStr() << std::endl;
  } else {
    auto colon = bind.findLast(':');
    kj::String host = kj::str(colon == nullptr ? bind : bind.slice(0, KJ_ASSERT_NONNULL(colon)));
    std::cout << "listening " << host.cStr() << ":" << listener->getPort() << std::endl;
  }
  ErrorHandler errors;
  kj::TaskSet tasks(errors);
  acceptLoop(*listener, timer, tasks).wait(io.waitScope);
  return 0;
}
