// calls (AssemblyScript): the same modes as examples/calls.c, through guest/as/ww.ts (the tests run it), plus
//   kill                     spawns a child that spins, kills it, waits: how it ended
//   ls PATH                  the anchor's children, one a line
import {
  args, argCap, argCaps, chan, close, ECLOSED, eprint, exit, FOREVER, kill, lastCode, lastError, loadCap, ls, moduleHash, nodeMeta,
  nodes, nodesCount, peerId, pid, print, procStdout, publish, recv, recvTimeout, release, request, select, selectedIndex, send,
  sender, spawn, SpawnOptions, subscribe, wait
} from "../as/ww"
export { ww_asyncify_buffer, ww_asyncify_size } from "../as/ww"

function fail(what: string): void {
  eprint("calls: " + what + ": " + lastCode().toString() + " " + lastError() + "\n")
  exit(1)
}

function hex(b: Uint8Array): string {
  let s = ""
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16)
  return s
}

function who(): void {
  print("peer " + peerId() + "\npid " + pid().toString() + "\nhash " + hex(moduleHash()) + "\nnodes " + nodesCount().toString() + "\n")
}

function listNodes(where: string[]): void {
  const peers = nodes(where)
  if (peers === null) { fail("nodes"); return }
  for (let i = 0; i < peers.length; i++) {
    const meta = nodeMeta(peers[i])
    if (meta === null) { fail("node_meta"); return }
    print(peers[i] + " " + meta.join(",") + "\n")
  }
}

function spawnAt(where: string): void {
  const p = spawn(["exit"], where)
  if (p < 0) { print("spawn " + p.toString() + "\n"); eprint(lastError() + "\n"); return }
  const e = wait(p)
  if (e === null) { fail("wait"); return }
  print("spawn ok exit " + e.code.toString() + " reason " + e.reason.toString() + "\n")
}

function recvTimeoutMode(): void {
  const c = chan(1)
  const m = recvTimeout(c, 200)
  print("empty " + (m === null ? lastCode() : 0).toString() + "\n")
  const p = recvTimeout(c, 0)
  print("poll " + (p === null ? lastCode() : 0).toString() + "\n")
  send(c, "there")
  const got = recvTimeout(c, 200)
  if (got === null) { fail("recv_timeout"); return }
  print("got " + got.text + "\n")
}

function selectMode(): void {
  const cs = [chan(1), chan(1), chan(1)]
  send(cs[2], "two")
  const m = select(cs, FOREVER)
  if (m === null) { fail("select"); return }
  print("ready " + selectedIndex().toString() + " " + m.text + "\n")
  const t = select(cs, 100)
  print("timeout " + (t === null ? lastCode() : 0).toString() + " which " + selectedIndex().toString() + "\n")
  const opts = new SpawnOptions()
  opts.caps = [sender(cs[1])]
  const kid = spawn(["select-child"], "", opts)
  if (kid < 0) { fail("spawn"); return }
  const later = select(cs, 30000)
  if (later === null) { fail("select"); return }
  print("later " + selectedIndex().toString() + " " + later.text + "\n")
  wait(kid)
  close(cs[0])
  const c = select(cs, FOREVER)
  print("closed " + (c === null ? lastCode() : 0).toString() + " which " + selectedIndex().toString() + "\n")
}

function selectChild(): void {
  const tx = argCap(0)
  if (tx < 0) { fail("arg_cap"); return }
  // wait a little without a busy loop: a receive that times out
  recvTimeout(chan(1), 300)
  if (send(tx, "late") < 0) fail("send")
}

function requestMode(path: string): void {
  let box = -1
  for (let i = 0; i < 300 && box < 0; i++) {
    box = loadCap(path)
    if (box < 0) recvTimeout(chan(1), 100)
  }
  if (box < 0) { fail("load"); return }
  for (let i = 0; i < 3; i++) {
    const a = request(box, "question " + i.toString(), 30000)
    if (a === null) { fail("request"); return }
    print("answer " + a.text + "\n")
  }
  const silent = chan(4)
  const none = request(silent, "anyone?", 200)
  print("unanswered " + (none === null ? lastCode() : 0).toString() + "\n")
}

function capsChild(): void {
  const count = argCaps()
  const tx = argCap(0)
  const past = argCap(count)
  if (send(tx, "child on " + peerId() + ": caps " + count.toString() + ", past the end " + past.toString()) < 0) fail("send")
}

function spawnCaps(where: string): void {
  const c = chan(1)
  const opts = new SpawnOptions()
  opts.caps = [sender(c)]
  const kid = spawn(["caps-child"], where, opts)
  if (kid < 0) { fail("spawn"); return }
  release(opts.caps[0])
  const m = recvTimeout(c, 60000)
  if (m === null) { fail("recv"); return }
  print(m.text + "\n")
  const e = wait(kid)
  if (e === null) { fail("wait"); return }
  print("child exit " + e.code.toString() + " reason " + e.reason.toString() + "\n")
}

function spin(): void {
  let x: u64 = 0
  while (true) x++
}

function spawnFuel(where: string): void {
  const opts = new SpawnOptions()
  opts.fuel = 100000
  const kid = spawn(["spin"], where, opts)
  if (kid < 0) { fail("spawn"); return }
  const e = wait(kid)
  if (e === null) { fail("wait"); return }
  print("spin ended: code " + e.code.toString() + " reason " + e.reason.toString() + "\n")
}

function killMode(): void {
  const kid = spawn(["spin"])
  if (kid < 0) { fail("spawn"); return }
  if (kill(kid) < 0) { fail("kill"); return }
  const e = wait(kid)
  if (e === null) { fail("wait"); return }
  print("killed: code " + e.code.toString() + " reason " + e.reason.toString() + "\n")
}

function stdoutMode(): void {
  const kid = spawn(["print", "from the child"])
  if (kid < 0) { fail("spawn"); return }
  const out = procStdout(kid)
  const m = recv(out)
  if (m === null) { fail("recv"); return }
  print("child said: " + m.text)
  wait(kid)
  const after = recv(out)
  print("then " + (after === null && lastCode() == ECLOSED ? "closed" : "?") + "\n")
}

function lsMode(path: string): void {
  const names = ls(path)
  if (names === null) { print("ls " + lastCode().toString() + "\n"); return }
  for (let i = 0; i < names.length; i++) print(names[i] + "\n")
}

function sub(topic: string, n: i32): void {
  const s = subscribe(topic, 16)
  if (s < 0) { fail("subscribe"); return }
  print("subscribed\n")
  for (let i = 0; i < n; i++) {
    const m = recv(s)
    if (m === null) { fail("recv"); return }
    print("message " + m.text + "\n")
  }
  release(s)
}

function pub(topic: string, msg: string, n: i32): void {
  for (let i = 0; i < n; i++) {
    if (publish(topic, msg) < 0) { fail("publish"); return }
    if (i + 1 < n) recvTimeout(chan(1), 200)
  }
}

function errors(): void {
  const c = chan(1)
  print("recv_timeout bad handle " + (recvTimeout(9999, 10) === null ? lastCode() : 0).toString() + "\n")
  print("select none " + (select([], 10) === null ? lastCode() : 0).toString() + "\n")
  const many = new Array<i32>(65)
  for (let i = 0; i < 65; i++) many[i] = c
  print("select 65 " + (select(many, 10) === null ? lastCode() : 0).toString() + "\n")
  print("spawn no such host " + spawn(["exit"], "zone=nowhere").toString() + "\n")
  print("wait bad handle " + (wait(9999) === null ? lastCode() : 0).toString() + "\n")
  print("kill a channel " + kill(c).toString() + "\n")
  print("arg_cap 0 " + argCap(0).toString() + "\n")
  print("node_meta unknown " + (nodeMeta("12D3KooWNotAHost") === null ? lastCode() : 0).toString() + "\n")
  print("ls bad path " + (ls("a/../b") === null ? lastCode() : 0).toString() + "\n")
  print("publish no topic " + publish("", "x").toString() + "\n")
  print("subscribe no topic " + subscribe("").toString() + "\n")
}

const argv = args()
const mode = argv.length > 1 ? argv[1] : ""
const arg = argv.length > 2 ? argv[2] : ""
if (mode == "exit") exit(0)
else if (mode == "print") print(arg + "\n")
else if (mode == "who") who()
else if (mode == "nodes") listNodes(argv.slice(2))
else if (mode == "spawn") spawnAt(arg)
else if (mode == "recv-timeout") recvTimeoutMode()
else if (mode == "select") selectMode()
else if (mode == "select-child") selectChild()
else if (mode == "request") requestMode(arg)
else if (mode == "spawn-caps") spawnCaps(arg)
else if (mode == "caps-child") capsChild()
else if (mode == "spawn-fuel") spawnFuel(arg)
else if (mode == "spin") spin()
else if (mode == "kill") killMode()
else if (mode == "stdout") stdoutMode()
else if (mode == "ls") lsMode(arg)
else if (mode == "sub") sub(arg, argv.length > 3 ? I32.parseInt(argv[3]) : 1)
else if (mode == "pub") pub(arg, argv.length > 3 ? argv[3] : "", argv.length > 4 ? I32.parseInt(argv[4]) : 1)
else if (mode == "errors") errors()
else { eprint("calls: unknown mode " + mode + "\n"); exit(2) }
