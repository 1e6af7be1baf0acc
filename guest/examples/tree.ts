// tree-as (AssemblyScript): the proc-tree calls of the AS SDK.
//   tree-as idle            blocks forever
//   tree-as watch WHERE     spawns "idle" at WHERE, waits 300 ms (TIMEOUT), monitors it, kills it, prints the
//                           monitor message and the wait; then the error paths
import { args, chan, exit, kill, lastError, monitor, print, recvDown, sender, spawnSelf, waitTimeout } from "../as/ww"
export { ww_asyncify_buffer, ww_asyncify_size } from "../as/ww"

const argv = args()
const mode = argv.length > 1 ? argv[1] : ""
if (mode == "idle") {
  const c = chan(0)
  recvDown(c)
  exit(0)
}
if (mode != "watch") { print("tree-as: unknown mode\n"); exit(2) }
const where = argv.length > 2 ? argv[2] : ""
const h = spawnSelf(["idle"], where)
if (h < 0) { print("spawn: " + lastError() + "\n"); exit(1) }
const w = waitTimeout(h, 300)
print("wait 300 ms: " + w.result.toString() + "\n")
const downs = chan(1)
print("monitor: " + monitor(h, sender(downs)).toString() + "\n")
kill(h)
const d = recvDown(downs)
if (d === null) { print("down: " + lastError() + "\n"); exit(1) }
print("down: same=" + (d!.proc == h ? "1" : "0") + " reason=" + d!.reason.toString() + " code=" + d!.code.toString() + "\n")
const after = waitTimeout(h)
print("wait: " + after.result.toString() + " reason=" + after.reason.toString() + "\n")
print("wait bad handle: " + waitTimeout(9999, 10).result.toString() + "\n")
print("monitor bad handle: " + monitor(9999, downs).toString() + "\n")
print("spawn on no host: " + spawnSelf(["idle"], "zone=nowhere").toString() + "\n")
exit(0)
