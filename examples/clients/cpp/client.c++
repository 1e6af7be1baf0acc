// A ww client in C++, built against the shipped schema (schema/*.capnp) with Debian's libcapnp.
// Usage: ww-client <home>/api.sock <guest.wasm>
//
// It talks to a node through its API socket (plain two-party Cap'n Proto; the bootstrap capability is the
// node's Host) and does what a user of `ww` does: lists the hosts, stores and loads a value, sends and
// receives on a channel, and runs a guest. Each step pipelines its calls: C++ cannot pipeline on a union
// member, so channels are reached through the plain field `cap` of Anchor.load's results, and a spawned
// proc through Executor.spawn's `proc`. Prints one line per fact; on error, one line on stderr and exit 1.

#include "host.capnp.h"
#include "anchor.capnp.h"
#include "channel.capnp.h"
#include "executor.capnp.h"
#include "proc.capnp.h"
#include <capnp/dynamic.h>
#include <capnp/ez-rpc.h>
#include <kj/exception.h>
#include <kj/string.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

kj::ArrayPtr<const kj::byte> bytesOf(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

std::string textOf(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}

// The schema's name of an enumerant (e.g. "exited").
template <typename E>
kj::StringPtr nameOf(E value) {
  KJ_IF_MAYBE(e, capnp::toDynamic(value).getEnumerant()) return e->getProto().getName();
  return "unknown";
}

// The name a ww error starts its reason with ("LimitExceeded" of "remote exception: LimitExceeded: ...").
std::string errorName(const kj::Exception& e) {
  std::string reason = e.getDescription().cStr();
  auto remote = reason.find("remote exception: ");
  if (remote != std::string::npos) reason = reason.substr(remote + 18);
  return reason.substr(0, reason.find(':'));
}

std::vector<char> readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The anchor at `path` below `from`, pipelined: no round trip of its own.
ww::Anchor::Client walk(ww::Anchor::Client from, kj::StringPtr path) {
  auto req = from.walkRequest();
  req.setPath(path);
  return req.send().getAnchor();
}

// The capability an anchor holds, as a T, pipelined: walk -> load -> cap, cast to the interface we expect.
template <typename T>
typename T::Client loadCap(ww::Anchor::Client from, kj::StringPtr path) {
  return walk(from, path).loadRequest().send().getCap().template castAs<T>();
}

void run(const char* socket, const char* wasm) {
  capnp::EzRpcClient client(kj::str("unix:", socket));
  auto& ws = client.getWaitScope();
  auto host = client.getMain<ww::Host>();

  auto info = [&]() {
    try {
      return host.infoRequest().send().wait(ws);
    } catch (const kj::Exception& e) {
      throw std::runtime_error(std::string("no node answers at ") + socket + ": " + e.getDescription().cStr() +
                               " (is `ww start` running with that home?)");
    }
  }();
  std::cout << "peer " << info.getInfo().getPeer().cStr() << std::endl;

  // The hosts: the children of the cluster root "/" (root and ls in one round trip).
  auto hosts = host.rootRequest().send().getAnchor().lsRequest().send().wait(ws);
  for (auto child: hosts.getChildren()) {
    if (child.getKind() == ww::Kind::HOST) std::cout << "host " << child.getName().cStr() << std::endl;
  }

  // A value stored at /<peer>/cpp-example/greeting and loaded back.
  auto local = host.localRequest().send().getAnchor();
  {
    auto store = walk(local, "cpp-example/greeting").storeRequest();
    store.initValue().setBytes(bytesOf("hello from C++"));
    store.setOverwrite(true);
    store.send().wait(ws);
    auto loaded = walk(local, "cpp-example/greeting").loadRequest().send().wait(ws);
    auto value = loaded.getValue();
    if (value.which() != ww::Value::BYTES) throw std::runtime_error("the greeting came back as something else than bytes");
    std::cout << "loaded " << textOf(value.getBytes()) << std::endl;
  }

  // A channel made at /<peer>/cpp-example/mailbox, then used as any other client would: walk, load, send
  // (and walk, load, recv), each in one round trip.
  {
    auto make = walk(local, "cpp-example/mailbox").makeChanRequest();
    make.setCapacity(4);
    make.setOverwrite(true);
    make.send().wait(ws);
    auto send = loadCap<ww::Sender>(local, "cpp-example/mailbox").sendRequest();
    send.initMsg().setData(bytesOf("a message from C++"));
    send.send().wait(ws);
    auto got = loadCap<ww::Recver>(local, "cpp-example/mailbox").recvRequest().send().wait(ws);
    std::cout << "received " << textOf(got.getMsg().getData()) << std::endl;
  }

  // A guest run here: spawn, then wait on the proc before the spawn has answered.
  {
    auto bytes = readFile(wasm);
    auto spawn = host.executorRequest().send().getExecutor().spawnRequest();
    auto request = spawn.initRequest();
    request.initModule().setBytes(kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    request.setName("hello");
    request.initArgs(1).set(0, "from C++");
    request.initEnv(1).set(0, "GREETING=hi");
    request.setTied(true);  // if this client goes away, so does the proc
    auto proc = spawn.send().getProc();
    auto status = proc.waitRequest().send().wait(ws).getStatus();
    std::cout << "guest ended: " << nameOf(status.getReason()).cStr() << ", code " << status.getCode() << std::endl;
    auto log = proc.logRequest();
    log.setStream(ww::OutputStream::STDOUT);
    auto out = log.send().wait(ws);
    std::cout << "guest stdout:" << std::endl << textOf(out.getData());
  }

  // An error as a generic client sees it: a limit is permanent, so it comes as type failed, not overloaded.
  try {
    walk(local, std::string(300, 'x').c_str()).pathRequest().send().wait(ws);
    throw std::runtime_error("a 300-character path component was accepted");
  } catch (const kj::Exception& e) {
    std::cout << "too long a name: " << kj::str(e.getType()).cStr() << ", " << errorName(e).c_str() << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ww-client <home>/api.sock <guest.wasm>" << std::endl;
    return 2;
  }
  try {
    run(argv[1], argv[2]);
  } catch (const kj::Exception& e) {
    std::cerr << "ww-client: " << e.getDescription().cStr() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ww-client: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
