// Shared by the C++ interop server and client: the agreed samples, a live-object counter and the
// small capability implementations both sides host (Counter, Callback, Thrower).
#pragma once

#include "interop.capnp.h"
#include <capnp/message.h>
#include <kj/async.h>
#include <kj/debug.h>
#include <kj/string.h>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace interop {

// Number of objects this process hosts for its peer (Counter, Node, Sink, Callback). A destructor
// running is how a test observes that the peer released its last reference.
inline int64_t& liveObjects() {
  static int64_t count = 0;
  return count;
}

struct Live {
  Live() { ++liveObjects(); }
  ~Live() { --liveObjects(); }
  Live(const Live&) = delete;
};

// ---- samples (the TypeScript side has the same values in samples.ts) ----------------------------

inline void fillSampleA(Primitives::Builder p) {
  p.setB(true);
  p.setI8(-128);
  p.setI16(-32768);
  p.setI32(std::numeric_limits<int32_t>::min());
  p.setI64(std::numeric_limits<int64_t>::min());
  p.setU8(255);
  p.setU16(65535);
  p.setU32(4294967295u);
  p.setU64(18446744073709551615ull);
  p.setF32(1.5f);
  p.setF64(3.141592653589793);
  p.setText("h\xc3\xa9llo, w\xc3\xb6rld \xe2\x9c\x93");
  auto data = p.initData(256);
  for (uint i = 0; i < 256; i++) data[i] = i;
  bool bools[] = {true, false, true, true, false, false, false, true, true};
  auto bl = p.initBools(9);
  for (uint i = 0; i < 9; i++) bl.set(i, bools[i]);
  auto i64s = p.initI64s(4);
  i64s.set(0, 0); i64s.set(1, -1);
  i64s.set(2, std::numeric_limits<int64_t>::max()); i64s.set(3, std::numeric_limits<int64_t>::min());
  auto f64s = p.initF64s(4);
  f64s.set(0, 0.0); f64s.set(1, -0.5); f64s.set(2, 1e300); f64s.set(3, -std::numeric_limits<double>::infinity());
  auto texts = p.initTexts(3);
  texts.set(0, ""); texts.set(1, "a"); texts.set(2, "\xc3\xbc");
  auto points = p.initPoints(2);
  points[0].setX(1); points[0].setY(2); points[0].setLabel("p1");
  points[1].setX(-3); points[1].setY(-4); points[1].setLabel("");
  auto n = p.initNested();
  n.setX(7); n.setY(-7); n.setLabel("n");
}

inline void fillSampleB(Primitives::Builder p) {
  p.setB(false);
  p.setI8(127);
  p.setI16(32767);
  p.setI32(std::numeric_limits<int32_t>::max());
  p.setI64(std::numeric_limits<int64_t>::max());
  p.setU8(1);
  p.setU16(2);
  p.setU32(3);
  p.setU64(9223372036854775813ull);
  p.setF32(-0.25f);
  p.setF64(1e-300);
  p.setText("second");
  p.initData(0);
  p.initBools(0);
  auto i64s = p.initI64s(1);
  i64s.set(0, 42);
  auto f64s = p.initF64s(1);
  f64s.set(0, std::nan(""));
  auto texts = p.initTexts(1);
  texts.set(0, "x");
  p.initPoints(0);
  auto n = p.initNested();
  n.setX(0); n.setY(0); n.setLabel("");
}

inline bool sameDouble(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

// Field names of `got` that differ from `want`, comma separated ("" when equal).
inline std::string mismatches(Primitives::Reader got, Primitives::Reader want) {
  std::vector<std::string> bad;
  auto check = [&](bool ok, const char* name) { if (!ok) bad.push_back(name); };
  check(got.getB() == want.getB(), "b");
  check(got.getI8() == want.getI8(), "i8");
  check(got.getI16() == want.getI16(), "i16");
  check(got.getI32() == want.getI32(), "i32");
  check(got.getI64() == want.getI64(), "i64");
  check(got.getU8() == want.getU8(), "u8");
  check(got.getU16() == want.getU16(), "u16");
  check(got.getU32() == want.getU32(), "u32");
  check(got.getU64() == want.getU64(), "u64");
  check(sameDouble(got.getF32(), want.getF32()), "f32");
  check(sameDouble(got.getF64(), want.getF64()), "f64");
  check(got.getText() == want.getText(), "text");
  check(got.getData() == want.getData(), "data");
  {
    auto g = got.getBools(), w = want.getBools();
    bool ok = g.size() == w.size();
    for (uint i = 0; ok && i < g.size(); i++) ok = g[i] == w[i];
    check(ok, "bools");
  }
  {
    auto g = got.getI64s(), w = want.getI64s();
    bool ok = g.size() == w.size();
    for (uint i = 0; ok && i < g.size(); i++) ok = g[i] == w[i];
    check(ok, "i64s");
  }
  {
    auto g = got.getF64s(), w = want.getF64s();
    bool ok = g.size() == w.size();
    for (uint i = 0; ok && i < g.size(); i++) ok = sameDouble(g[i], w[i]);
    check(ok, "f64s");
  }
  {
    auto g = got.getTexts(), w = want.getTexts();
    bool ok = g.size() == w.size();
    for (uint i = 0; ok && i < g.size(); i++) ok = g[i] == w[i];
    check(ok, "texts");
  }
  auto samePoint = [](Point::Reader a, Point::Reader b) {
    return a.getX() == b.getX() && a.getY() == b.getY() && a.getLabel() == b.getLabel();
  };
  {
    auto g = got.getPoints(), w = want.getPoints();
    bool ok = g.size() == w.size();
    for (uint i = 0; ok && i < g.size(); i++) ok = samePoint(g[i], w[i]);
    check(ok, "points");
  }
  check(got.hasNested() && samePoint(got.getNested(), want.getNested()), "nested");
  std::string out;
  for (auto& name : bad) out += (out.empty() ? "" : ",") + name;
  return out;
}

inline std::string sampleAMismatches(Primitives::Reader got) {
  capnp::MallocMessageBuilder m;
  auto want = m.initRoot<Primitives>();
  fillSampleA(want);
  return mismatches(got, want.asReader());
}

inline std::string sampleBMismatches(Primitives::Reader got) {
  capnp::MallocMessageBuilder m;
  auto want = m.initRoot<Primitives>();
  fillSampleB(want);
  return mismatches(got, want.asReader());
}

// ---- capabilities both sides host ---------------------------------------------------------------

class CounterImpl final: public Counter::Server, private Live {
public:
  explicit CounterImpl(int64_t start): value(start) {}
  int64_t value;
  std::vector<int64_t> adds;

  kj::Promise<void> add(AddContext context) override {
    auto by = context.getParams().getBy();
    adds.push_back(by);
    value += by;
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }
  kj::Promise<void> get(GetContext context) override {
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }
  kj::Promise<void> history(HistoryContext context) override {
    auto list = context.getResults().initAdds(adds.size());
    for (size_t i = 0; i < adds.size(); i++) list.set(i, adds[i]);
    return kj::READY_NOW;
  }
};

class CallbackImpl final: public Callback::Server, private Live {
public:
  std::vector<int64_t> seen;
  kj::Promise<void> notify(NotifyContext context) override {
    auto v = context.getParams().getValue();
    seen.push_back(v);
    context.getResults().setAck(v * 2);
    return kj::READY_NOW;
  }
};

inline kj::Exception::Type toKjType(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::FAILED: return kj::Exception::Type::FAILED;
    case ErrorKind::OVERLOADED: return kj::Exception::Type::OVERLOADED;
    case ErrorKind::DISCONNECTED: return kj::Exception::Type::DISCONNECTED;
    case ErrorKind::UNIMPLEMENTED: return kj::Exception::Type::UNIMPLEMENTED;
  }
  return kj::Exception::Type::FAILED;
}

inline ErrorKind fromKjType(kj::Exception::Type type) {
  switch (type) {
    case kj::Exception::Type::FAILED: return ErrorKind::FAILED;
    case kj::Exception::Type::OVERLOADED: return ErrorKind::OVERLOADED;
    case kj::Exception::Type::DISCONNECTED: return ErrorKind::DISCONNECTED;
    case kj::Exception::Type::UNIMPLEMENTED: return ErrorKind::UNIMPLEMENTED;
  }
  return ErrorKind::FAILED;
}

inline const char* kindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::FAILED: return "failed";
    case ErrorKind::OVERLOADED: return "overloaded";
    case ErrorKind::DISCONNECTED: return "disconnected";
    case ErrorKind::UNIMPLEMENTED: return "unimplemented";
  }
  return "?";
}

// The reason a peer sent, without the "remote exception: " prefix C++ adds on receipt.
inline kj::String remoteReason(const kj::Exception& e) {
  kj::StringPtr d = e.getDescription();
  kj::StringPtr prefix = "remote exception: ";
  if (d.startsWith(prefix)) return kj::str(d.slice(prefix.size()));
  return kj::str(d);
}

class ThrowerImpl final: public Thrower::Server {
public:
  kj::Promise<void> raise(RaiseContext context) override {
    auto p = context.getParams();
    return kj::Exception(toKjType(p.getKind()), __FILE__, __LINE__, kj::str(p.getReason()));
  }
};

}  // namespace interop
