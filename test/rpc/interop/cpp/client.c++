// The C++ reference client: runs interop scenarios against a Test server, or measures latency.
// Usage: client <address> <scenario>|all|list
//        client <address> bench <sequential calls> <pipelined calls> <rounds>
//        client <address> chain <calls>   (only the chained-call latency of `bench`)
// Prints "ok <scenario>" or "FAIL <scenario>: <check>" per scenario; exits 0 only if all passed.

#include "common.h"
#include <capnp/ez-rpc.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

using namespace interop;

namespace {

struct CheckFailed: std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Env {
  capnp::EzRpcClient& client;
  Test::Client test;
  kj::WaitScope& ws;
  kj::Timer& timer;
};

#define CHECK(cond, ...) do { if (!(cond)) { std::ostringstream o_; o_ << #cond << ": " << __VA_ARGS__; throw CheckFailed(o_.str()); } } while (0)

void sleepMs(Env& env, uint ms) { env.timer.afterDelay(ms * kj::MILLISECONDS).wait(env.ws); }

// Polls `pred` until it holds or 10 s pass (releases travel asynchronously).
bool eventually(Env& env, std::function<bool()> pred) {
  for (int i = 0; i < 1000; i++) {
    if (pred()) return true;
    sleepMs(env, 10);
  }
  return pred();
}

int64_t remoteLive(Env& env) {
  return env.test.liveObjectsRequest().send().wait(env.ws).getCount();
}

kj::Maybe<kj::Exception> exceptionOf(kj::Promise<void>&& p, kj::WaitScope& ws) {
  kj::Maybe<kj::Exception> result;
  p.then([]() {}, [&result](kj::Exception&& e) { result = kj::mv(e); }).wait(ws);
  return result;
}

template <typename T>
std::string listStr(const T& list) {
  std::ostringstream o;
  o << "[";
  bool first = true;
  for (auto v: list) { o << (first ? "" : ",") << v; first = false; }
  o << "]";
  return o.str();
}

// ---- scenarios ----------------------------------------------------------------------------------

void bootstrap(Env& env) {
  auto n = env.test.liveObjectsRequest().send().wait(env.ws).getCount();
  CHECK(n >= 0, "liveObjects " << n);
}

void primitives(Env& env) {
  auto req = env.test.exchangeRequest();
  fillSampleA(req.initP());
  auto r = req.send().wait(env.ws);
  CHECK(r.getMismatches() == "", "server saw mismatching fields: " << r.getMismatches().cStr());
  auto bad = sampleBMismatches(r.getP());
  CHECK(bad.empty(), "client saw mismatching fields: " << bad);
}

void capInParams(Env& env) {
  auto own = kj::heap<CounterImpl>(10);
  auto& local = *own;
  Counter::Client c = kj::mv(own);
  auto req = env.test.callCounterRequest();
  req.setCounter(c);
  req.setBy(5);
  auto v = req.send().wait(env.ws).getValue();
  CHECK(v == 15, "callCounter returned " << v);
  CHECK(local.value == 15, "local counter is " << local.value);
}

void capInResults(Env& env) {
  auto req = env.test.newCounterRequest();
  req.setStart(100);
  auto counter = req.send().wait(env.ws).getCounter();
  auto add = counter.addRequest();
  add.setBy(1);
  auto v = add.send().wait(env.ws).getValue();
  CHECK(v == 101, "add returned " << v);
  auto got = counter.getRequest().send().wait(env.ws).getValue();
  CHECK(got == 101, "get returned " << got);
}

void capInStructFields(Env& env) {
  auto req = env.test.makeHolderRequest();
  req.setName("h");
  req.setStart(10);
  req.setExtra(3);
  auto resp = req.send().wait(env.ws);
  auto h = resp.getHolder();
  CHECK(h.getName() == "h", "name " << h.getName().cStr());
  CHECK(h.getCounters().size() == 3, "counters " << h.getCounters().size());
  auto v0 = h.getCounter().getRequest().send().wait(env.ws).getValue();
  CHECK(v0 == 10, "holder.counter " << v0);
  for (uint i = 0; i < 3; i++) {
    auto v = h.getCounters()[i].getRequest().send().wait(env.ws).getValue();
    CHECK(v == 11 + (int64_t)i, "holder.counters[" << i << "] " << v);
  }
  // Send a holder back: a mix of caller-hosted and server-hosted (receiverHosted) counters.
  auto sum = env.test.sumHolderRequest();
  auto out = sum.initHolder();
  out.setName("mine");
  out.setCounter(kj::heap<CounterImpl>(1));
  auto list = out.initCounters(3);
  list.set(0, kj::heap<CounterImpl>(2));
  list.set(1, kj::heap<CounterImpl>(3));
  list.set(2, h.getCounters()[2]);
  auto s = sum.send().wait(env.ws).getSum();
  CHECK(s == 1 + 2 + 3 + 13, "sumHolder " << s);
}

void callback(Env& env) {
  auto base = liveObjects();
  {
    auto own1 = kj::heap<CallbackImpl>();
    auto own2 = kj::heap<CallbackImpl>();
    auto& cb1 = *own1;
    auto& cb2 = *own2;
    {
      auto r1 = env.test.registerRequest();
      r1.setCb(kj::mv(own1));
      CHECK(r1.send().wait(env.ws).getRegistered() == 1, "first register");
      auto r2 = env.test.registerRequest();
      r2.setCb(kj::mv(own2));
      CHECK(r2.send().wait(env.ws).getRegistered() == 2, "second register");
    }
    // The callbacks are now only referenced by the server.
    for (int64_t v: {5, 7}) {
      auto f = env.test.fireRequest();
      f.setValue(v);
      auto r = f.send().wait(env.ws);
      CHECK(r.getCount() == 2, "fire count " << r.getCount());
      CHECK(r.getSum() == 4 * v, "fire sum " << r.getSum() << " for " << v);
    }
    CHECK(cb1.seen.size() == 2 && cb1.seen[0] == 5 && cb1.seen[1] == 7, "cb1 saw " << listStr(cb1.seen));
    CHECK(cb2.seen.size() == 2, "cb2 saw " << listStr(cb2.seen));
    CHECK(liveObjects() == base + 2, "callbacks alive " << liveObjects() - base);
  }
  auto d = env.test.unregisterAllRequest().send().wait(env.ws).getDropped();
  CHECK(d == 2, "dropped " << d);
  CHECK(eventually(env, [&]() { return liveObjects() == base; }),
        "callbacks still alive after the server dropped them: " << liveObjects() - base);
}

void pipeline(Env& env) {
  auto a = env.test.rootRequest();
  a.setName("a");
  auto pa = a.send();
  auto b = pa.getNode().childRequest();
  b.setName("b");
  auto pb = b.send();
  auto c = pb.getNode().childRequest();
  c.setName("c");
  auto pc = c.send();
  auto path = pc.getNode().pathRequest().send().wait(env.ws).getPath();
  CHECK(path == "a/b/c", "path " << path.cStr());
}

void tailCall(Env& env) {
  auto own = kj::heap<CounterImpl>(0);
  auto& local = *own;
  Counter::Client c = kj::mv(own);
  auto req = env.test.addViaRequest();
  req.setCounter(c);
  req.setBy(7);
  auto v = req.send().wait(env.ws).getValue();
  CHECK(v == 7, "addVia(local) returned " << v);
  CHECK(local.value == 7, "local counter " << local.value);
  // And to a server-hosted counter.
  auto nc = env.test.newCounterRequest();
  nc.setStart(40);
  auto remote = nc.send().getCounter();
  auto req2 = env.test.addViaRequest();
  req2.setCounter(remote);
  req2.setBy(2);
  auto v2 = req2.send().wait(env.ws).getValue();
  CHECK(v2 == 42, "addVia(remote) returned " << v2);
}

void addOn(Counter::Client& c, int64_t by, kj::Vector<kj::Promise<void>>& pending) {
  auto req = c.addRequest();
  req.setBy(by);
  pending.add(req.send().ignoreResult());
}

void echoOwn(Env& env) {
  auto own = kj::heap<CounterImpl>(0);
  auto& local = *own;
  Counter::Client c = kj::mv(own);
  auto req = env.test.echoCounterRequest();
  req.setCounter(c);
  auto answer = req.send();
  // E-order holds per reference: calls through the pipelined capability arrive in the order made,
  // whether they were sent before the answer (reflected by the server) or after (local, embargoed).
  Counter::Client piped = answer.getCounter();
  kj::Vector<kj::Promise<void>> pending;
  addOn(piped, 1, pending);
  addOn(piped, 2, pending);
  auto resolved = answer.wait(env.ws).getCounter();
  addOn(piped, 3, pending);
  addOn(piped, 4, pending);
  kj::joinPromises(pending.releaseAsArray()).wait(env.ws);
  auto last = resolved.addRequest();
  last.setBy(5);
  last.send().wait(env.ws);
  CHECK(local.adds.size() == 5, "local counter got " << listStr(local.adds));
  for (size_t i = 0; i < 5; i++) CHECK(local.adds[i] == (int64_t)i + 1, "order " << listStr(local.adds));
}

void promiseResolve(Env& env) {
  auto base = remoteLive(env);
  {
    auto req = env.test.laterCounterRequest();
    req.setStart(5);
    req.setDelayMs(200);
    // Pipelined on the answer, then on the promise capability before and after it resolves:
    // the values show the calls ran in the order made.
    auto answer = req.send();
    Counter::Client c = answer.getCounter();
    kj::Vector<kj::Promise<int64_t>> values;
    auto addOne = [&]() {
      auto a = c.addRequest();
      a.setBy(1);
      values.add(a.send().then([](capnp::Response<AddResult> r) { return r.getValue(); }));
    };
    addOne();
    addOne();
    answer.wait(env.ws);
    addOne();
    sleepMs(env, 300);
    addOne();
    auto got = kj::joinPromises(values.releaseAsArray()).wait(env.ws);
    for (size_t i = 0; i < got.size(); i++) CHECK(got[i] == 6 + (int64_t)i, "values " << listStr(got));
    CHECK(remoteLive(env) == base + 1, "server objects " << remoteLive(env) - base);
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == base; }),
        "resolved promise capability not released: " << remoteLive(env) - base);
}

void promiseBroken(Env& env) {
  // A promise that resolves to an exception: calls before and after fail with its reason (and,
  // since the resolution is not a capability, no Disembargo may be sent for it).
  auto req = env.test.laterCounterRequest();
  req.setStart(-1);
  req.setDelayMs(200);
  Counter::Client broken = req.send().wait(env.ws).getCounter();
  auto early = broken.getRequest().send().ignoreResult();
  sleepMs(env, 300);
  auto late = broken.getRequest().send().ignoreResult();
  for (auto* p: {&early, &late}) {
    auto e = exceptionOf(kj::mv(*p), env.ws);
    KJ_IF_MAYBE(ex, e) {
      CHECK(remoteReason(*ex).endsWith("negative start"), "broken promise reason '" << ex->getDescription().cStr() << "'");
    } else {
      CHECK(false, "call on a promise resolved to an exception succeeded");
    }
  }
}

void sharedRefs(Env& env) {
  // One capability sent several times each way: every copy counts, and the last release frees it.
  auto base = liveObjects();
  {
    Callback::Client cb = kj::heap<CallbackImpl>();
    for (int i = 0; i < 3; i++) {
      auto r = env.test.registerRequest();
      r.setCb(cb);
      r.send().wait(env.ws);
    }
    auto f = env.test.fireRequest();
    f.setValue(1);
    auto fr = f.send().wait(env.ws);
    CHECK(fr.getCount() == 3 && fr.getSum() == 6, "fire " << fr.getCount() << " " << fr.getSum());
  }
  CHECK(liveObjects() == base + 1, "the server holds the callback");
  env.test.unregisterAllRequest().send().wait(env.ws);
  CHECK(eventually(env, [&]() { return liveObjects() == base; }), "callback sent 3 times not released");
  auto rbase = remoteLive(env);
  {
    auto nc = env.test.newCounterRequest();
    nc.setStart(0);
    auto c = nc.send().wait(env.ws).getCounter();
    kj::Vector<Counter::Client> copies;
    for (int i = 0; i < 3; i++) {
      auto e = env.test.echoCounterRequest();
      e.setCounter(c);
      copies.add(e.send().wait(env.ws).getCounter());
    }
    for (auto& copy: copies) {
      auto a = copy.addRequest();
      a.setBy(1);
      a.send().wait(env.ws);
    }
    auto v = c.getRequest().send().wait(env.ws).getValue();
    CHECK(v == 3, "value through the copies " << v);
    CHECK(remoteLive(env) == rbase + 1, "one counter on the server");
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == rbase; }), "counter echoed 3 times not released");
}

void bulk(Env& env) {
  for (size_t size: {size_t(1) << 20, size_t(3) << 20}) {
    auto req = env.test.bulkRequest();
    auto data = req.initData(size);
    std::vector<kj::byte> sent(size);  // the request's own bytes are gone once it is sent
    uint64_t sum = 0;
    for (size_t i = 0; i < size; i++) { sent[i] = data[i] = (i * 7 + i / 251) & 0xff; sum += data[i]; }
    auto r = req.send().wait(env.ws);
    CHECK(r.getSum() == sum, "sum " << r.getSum() << " want " << sum);
    auto rev = r.getReversed();
    CHECK(rev.size() == size, "reversed size " << rev.size());
    bool ok = true;
    for (size_t i = 0; ok && i < size; i++) ok = rev[size - 1 - i] == sent[i];
    CHECK(ok, "reversed bytes differ");
  }
}

void laterEcho(Env& env) {
  auto base = liveObjects();
  {
    auto own = kj::heap<CounterImpl>(0);
    auto& local = *own;
    Counter::Client c = kj::mv(own);
    auto req = env.test.laterEchoRequest();
    req.setCounter(c);
    req.setDelayMs(200);
    Counter::Client p = req.send().wait(env.ws).getCounter();
    kj::Vector<kj::Promise<void>> pending;
    addOn(p, 1, pending);
    addOn(p, 2, pending);
    sleepMs(env, 300);
    addOn(p, 3, pending);
    addOn(p, 4, pending);
    kj::joinPromises(pending.releaseAsArray()).wait(env.ws);
    CHECK(local.adds.size() == 4, "local counter got " << listStr(local.adds));
    for (size_t i = 0; i < 4; i++) CHECK(local.adds[i] == (int64_t)i + 1, "order " << listStr(local.adds));
  }
  CHECK(eventually(env, [&]() { return liveObjects() == base; }),
        "local counter still referenced by the server: " << liveObjects() - base);
}

void release(Env& env) {
  auto base = remoteLive(env);
  {
    auto req = env.test.newCounterRequest();
    req.setStart(1);
    auto c = req.send().wait(env.ws).getCounter();
    CHECK(remoteLive(env) == base + 1, "after newCounter " << remoteLive(env) - base);
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == base; }), "awaited counter not released");
  {
    // Pipelined: a capability obtained without waiting for the answer, used, then dropped.
    auto req = env.test.newCounterRequest();
    req.setStart(1);
    auto promise = req.send();
    auto add = promise.getCounter().addRequest();
    add.setBy(1);
    add.send().wait(env.ws);
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == base; }), "pipelined counter not released");
  {
    auto req = env.test.makeHolderRequest();
    req.setName("x");
    req.setExtra(4);
    auto r = req.send().wait(env.ws);
    CHECK(remoteLive(env) == base + 5, "holder objects " << remoteLive(env) - base);
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == base; }), "holder counters not released");
  {
    auto a = env.test.rootRequest();
    a.setName("a");
    auto pa = a.send();
    auto b = pa.getNode().childRequest();
    b.setName("b");
    auto pb = b.send();
    pb.getNode().pathRequest().send().wait(env.ws);
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == base; }), "pipelined nodes not released");
}

void releaseReverse(Env& env) {
  auto base = liveObjects();
  {
    auto req = env.test.holdRequest();
    req.setCounter(kj::heap<CounterImpl>(3));
    req.send().wait(env.ws);
  }
  // Our only reference was in the request; the server still holds the counter.
  sleepMs(env, 50);
  CHECK(liveObjects() == base + 1, "held counter alive " << liveObjects() - base);
  auto d = env.test.dropHeldRequest().send().wait(env.ws).getDropped();
  CHECK(d == 1, "dropped " << d);
  CHECK(eventually(env, [&]() { return liveObjects() == base; }), "counter still alive after dropHeld");
  {
    // Param capabilities the server did not keep are released after the call returns.
    auto req = env.test.callCounterRequest();
    req.setCounter(kj::heap<CounterImpl>(0));
    req.setBy(1);
    req.send().wait(env.ws);
  }
  CHECK(eventually(env, [&]() { return liveObjects() == base; }), "param capability not released");
}

void exceptions(Env& env) {
  for (auto kind: {ErrorKind::FAILED, ErrorKind::OVERLOADED, ErrorKind::DISCONNECTED, ErrorKind::UNIMPLEMENTED}) {
    auto reason = kj::str("reason for ", kindName(kind), " \xe2\x9c\x97");
    auto req = env.test.failRequest();
    req.setKind(kind);
    req.setReason(reason);
    auto e = exceptionOf(req.send().ignoreResult(), env.ws);
    KJ_IF_MAYBE(ex, e) {
      CHECK(fromKjType(ex->getType()) == kind, "fail(" << kindName(kind) << ") came back as type " << (int)ex->getType());
      auto got = remoteReason(*ex);
      CHECK(got.endsWith(reason), "fail reason '" << got.cStr() << "' lacks '" << reason.cStr() << "'");
    } else {
      CHECK(false, "fail(" << kindName(kind) << ") did not throw");
    }
    auto relay = env.test.relayFailureRequest();
    relay.setThrower(kj::heap<ThrowerImpl>());
    relay.setKind(kind);
    relay.setReason(reason);
    auto r = relay.send().wait(env.ws);
    CHECK(r.getKind() == kind, "server caught kind " << kindName(r.getKind()) << " for " << kindName(kind));
    CHECK(r.getReason().endsWith(reason), "server caught reason '" << r.getReason().cStr() << "'");
  }
  auto e = exceptionOf(env.test.missingRequest().send().ignoreResult(), env.ws);
  KJ_IF_MAYBE(ex, e) {
    CHECK(ex->getType() == kj::Exception::Type::UNIMPLEMENTED, "missing() threw type " << (int)ex->getType());
  } else {
    CHECK(false, "missing() did not throw");
  }
}

void cancel(Env& env) {
  auto before = env.test.hangStatsRequest().send().wait(env.ws);
  auto started0 = before.getStarted(), canceled0 = before.getCanceled();
  {
    auto call = env.test.hangRequest().send();
    CHECK(eventually(env, [&]() { return env.test.hangStatsRequest().send().wait(env.ws).getStarted() > started0; }),
          "hang() never started");
    // Dropping the promise cancels the call: the client sends Finish.
  }
  CHECK(eventually(env, [&]() { return env.test.hangStatsRequest().send().wait(env.ws).getCanceled() > canceled0; }),
        "server never observed the cancellation");
}

void calls10k(Env& env) {
  auto req = env.test.newCounterRequest();
  req.setStart(0);
  Counter::Client c = req.send().getCounter();
  const int n = 10000;
  kj::Vector<kj::Promise<int64_t>> results;
  for (int i = 0; i < n; i++) {
    auto add = c.addRequest();
    add.setBy(1);
    results.add(add.send().then([](capnp::Response<AddResult> r) { return r.getValue(); }));
  }
  auto values = kj::joinPromises(results.releaseAsArray()).wait(env.ws);
  for (int i = 0; i < n; i++) CHECK(values[i] == i + 1, "call " << i << " returned " << values[i]);
  auto total = c.getRequest().send().wait(env.ws).getValue();
  CHECK(total == n, "final value " << total);
}

void stream(Env& env) {
  const uint chunks = 32, chunkSize = 64 * 1024, delayMs = 15;
  auto sreq = env.test.sinkRequest();
  sreq.setDelayMs(delayMs);
  auto sink = sreq.send().wait(env.ws).getSink();  // flow control applies to a resolved capability
  auto bytes = kj::heapArray<kj::byte>(chunkSize);
  for (uint i = 0; i < chunkSize; i++) bytes[i] = i & 0xff;
  for (uint i = 0; i < chunks; i++) {
    auto w = sink.writeRequest();
    w.setChunk(bytes);
    w.send().wait(env.ws);  // resolves when the flow-control window has room
  }
  auto progress = env.test.sinkProgressRequest().send().wait(env.ws);
  auto consumed = progress.getChunks();
  // The producer was slowed by the consumer: most chunks were consumed before the last send
  // completed. And it was not lock-step: the last chunks were still in flight.
  CHECK(consumed >= chunks / 2, "producer finished with only " << consumed << "/" << chunks << " consumed");
  CHECK(consumed < chunks, "producer waited for every chunk (no window)");
  auto done = sink.doneRequest().send().wait(env.ws);
  CHECK(done.getChunks() == chunks, "sink got " << done.getChunks() << " chunks");
  CHECK(done.getBytes() == (uint64_t)chunks * chunkSize, "sink got " << done.getBytes() << " bytes");
}

void manyCaps(Env& env) {
  // Hundreds of capabilities in one message each way; all released afterwards.
  const uint n = 500;
  auto rbase = remoteLive(env);
  auto base = liveObjects();
  {
    auto req = env.test.makeHolderRequest();
    req.setName("many");
    req.setStart(0);
    req.setExtra(n);
    auto r = req.send().wait(env.ws);
    auto list = r.getHolder().getCounters();
    CHECK(list.size() == n, "counters " << list.size());
    CHECK(remoteLive(env) == rbase + n + 1, "server objects " << remoteLive(env) - rbase);
    auto sum = env.test.sumHolderRequest();
    auto h = sum.initHolder();
    h.setCounter(list[n - 1]);  // theirs: 500
    auto mine = h.initCounters(n);
    for (uint i = 0; i < n; i++) mine.set(i, kj::heap<CounterImpl>(i));
    auto s = sum.send().wait(env.ws).getSum();
    CHECK(s == (int64_t)n + (int64_t)n * (n - 1) / 2, "sum " << s);
  }
  CHECK(eventually(env, [&]() { return remoteLive(env) == rbase; }), "server counters not released");
  CHECK(eventually(env, [&]() { return liveObjects() == base; }), "client counters not released");
}

const std::map<std::string, void (*)(Env&)>& scenarios() {
  static const std::map<std::string, void (*)(Env&)> all = {
    {"bootstrap", bootstrap},
    {"primitives", primitives},
    {"cap-in-params", capInParams},
    {"cap-in-results", capInResults},
    {"cap-in-struct-fields", capInStructFields},
    {"callback", callback},
    {"pipeline", pipeline},
    {"tail-call", tailCall},
    {"echo-own", echoOwn},
    {"promise-resolve", promiseResolve},
    {"promise-broken", promiseBroken},
    {"later-echo", laterEcho},
    {"release", release},
    {"release-reverse", releaseReverse},
    {"exceptions", exceptions},
    {"cancel", cancel},
    {"calls-10k", calls10k},
    {"stream", stream},
    {"bulk", bulk},
    {"shared-refs", sharedRefs},
    {"many-caps", manyCaps},
  };
  return all;
}

bool runScenario(Env& env, const std::string& name) {
  auto it = scenarios().find(name);
  if (it == scenarios().end()) {
    std::cout << "FAIL " << name << ": unknown scenario" << std::endl;
    return false;
  }
  // Objects this process hosted for an earlier scenario may still be on their way out (releases
  // are asynchronous); scenarios count from a settled base.
  eventually(env, []() { return liveObjects() == 0; });
  std::string failure;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    try {
      it->second(env);
    } catch (CheckFailed& f) {
      failure = f.what();
    }
  })) {
    failure = kj::str("exception: ", e->getDescription()).cStr();
  }
  if (!failure.empty()) {
    std::cout << "FAIL " << name << ": " << failure << std::endl;
    return false;
  }
  std::cout << "ok " << name << std::endl;
  return true;
}

// ---- benchmark ----------------------------------------------------------------------------------

double medianOf(std::vector<double>& xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// Median latency of one path() call on a held Node, and of root("a") -> child("b") -> path() issued
// together (each on the previous one's pipelined result) and awaited at the end; the two alternate.
// After each, an untimed path() carries what the op left to send (Finish) and comes back once the
// server handled it, so neither op pays for the other's cleanup (as bench/anchor/rounds.ts does).
std::pair<double, double> chainLatency(Env& env, int n) {
  using clock = std::chrono::steady_clock;
  auto held = env.test.rootRequest();
  held.setName("a");
  Node::Client node = held.send().wait(env.ws).getNode();
  auto settle = [&]() { node.pathRequest().send().wait(env.ws); };
  std::vector<double> rtt, chained;
  for (int i = 0; i < n + 1000; i++) {
    double one, three;
    {
      auto s = clock::now();
      node.pathRequest().send().wait(env.ws);
      one = std::chrono::duration<double, std::micro>(clock::now() - s).count();
    }
    settle();
    {
      auto s = clock::now();
      auto r = env.test.rootRequest();
      r.setName("a");
      auto root = r.send();
      auto c = root.getNode().childRequest();
      c.setName("b");
      auto child = c.send();
      child.getNode().pathRequest().send().wait(env.ws);
      three = std::chrono::duration<double, std::micro>(clock::now() - s).count();
    }
    settle();
    if (i >= 1000) { rtt.push_back(one); chained.push_back(three); }
  }
  return {medianOf(rtt), medianOf(chained)};
}

int bench(Env& env, int seq, int pipelined, int rounds) {
  auto req = env.test.newCounterRequest();
  req.setStart(0);
  Counter::Client c = req.send().wait(env.ws).getCounter();
  for (int i = 0; i < 5000; i++) {  // warm-up (the same count as the TS client: V8 needs it to finish compiling)
    auto a = c.addRequest();
    a.setBy(1);
    a.send().wait(env.ws);
  }
  using clock = std::chrono::steady_clock;
  for (int r = 0; r < rounds; r++) {
    std::vector<double> us(seq);
    auto t0 = clock::now();
    for (int i = 0; i < seq; i++) {
      auto s = clock::now();
      auto a = c.addRequest();
      a.setBy(1);
      a.send().wait(env.ws);
      us[i] = std::chrono::duration<double, std::micro>(clock::now() - s).count();
    }
    double total = std::chrono::duration<double, std::micro>(clock::now() - t0).count();
    std::sort(us.begin(), us.end());
    double mean = total / seq, p50 = us[seq / 2], p99 = us[seq * 99 / 100];
    auto p0 = clock::now();
    kj::Vector<kj::Promise<void>> inflight;
    for (int i = 0; i < pipelined; i++) {
      auto a = c.addRequest();
      a.setBy(1);
      inflight.add(a.send().ignoreResult());
    }
    kj::joinPromises(inflight.releaseAsArray()).wait(env.ws);
    double secs = std::chrono::duration<double>(clock::now() - p0).count();
    auto chain = chainLatency(env, seq / 4);
    std::printf("{\"seqMeanUs\":%.3f,\"seqP50Us\":%.3f,\"seqP99Us\":%.3f,\"pipelinedCallsPerSec\":%.1f,\"chainRttUs\":%.3f,\"chainPipelinedUs\":%.3f}\n",
                mean, p50, p99, pipelined / secs, chain.first, chain.second);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " <address> <scenario>|all|list | bench <seq> <pipelined> <rounds> | chain <calls>" << std::endl;
    return 2;
  }
  std::string what = argv[2];
  if (what == "list") {
    for (auto& kv: scenarios()) std::cout << kv.first << std::endl;
    return 0;
  }
  capnp::EzRpcClient client(argv[1]);
  Env env{client, client.getMain<Test>(), client.getWaitScope(), client.getIoProvider().getTimer()};
  if (what == "abandon") {
    // Leaves the server holding a callback, a pending hang() and an exported counter, then dies
    // without any goodbye: the server must release and cancel everything on its own.
    auto r = env.test.registerRequest();
    r.setCb(kj::heap<CallbackImpl>());
    r.send().wait(env.ws);
    auto nc = env.test.newCounterRequest();
    auto counter = nc.send().wait(env.ws).getCounter();
    auto started0 = env.test.hangStatsRequest().send().wait(env.ws).getStarted();
    auto hang = env.test.hangRequest().send();
    eventually(env, [&]() { return env.test.hangStatsRequest().send().wait(env.ws).getStarted() > started0; });
    std::cout << "abandoning" << std::endl;
    std::_Exit(0);
  }
  if (what == "chain") {
    if (argc != 4) { std::cerr << "chain needs <calls>" << std::endl; return 2; }
    auto chain = chainLatency(env, std::atoi(argv[3]));
    std::printf("{\"chainRttUs\":%.3f,\"chainPipelinedUs\":%.3f}\n", chain.first, chain.second);
    return 0;
  }
  if (what == "bench") {
    if (argc != 6) { std::cerr << "bench needs <seq> <pipelined> <rounds>" << std::endl; return 2; }
    return bench(env, std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
  }
  bool ok = true;
  if (what == "all") {
    for (auto& kv: scenarios()) ok = runScenario(env, kv.first) && ok;
  } else {
    for (int i = 2; i < argc; i++) ok = runScenario(env, argv[i]) && ok;
  }
  return ok ? 0 : 1;
}
