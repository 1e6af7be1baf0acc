// echo-client NAME MESSAGE (AssemblyScript): the SDK's endpoint calls. Prints how many endpoints NAME has, sends
// MESSAGE to one of them with a reply channel, and prints the answer. Exits 3 when NAME has no live endpoint.
import { args, chan, endpointCount, ENOTFOUND, eprint, exit, lastError, print, recvTimeout, sendEndpoint, sender } from "../as/ww"
export { ww_asyncify_buffer, ww_asyncify_size } from "../as/ww"

const a = args()
if (a.length < 3) {
  eprint("usage: echo-client NAME MESSAGE\n")
  exit(2)
}
const live = endpointCount(a[1])
if (live < 0) {
  eprint("echo-client: count: " + lastError() + "\n")
  exit(1)
}
print(a[1] + ": " + live.toString() + " live\n")
const replies = chan(1)
const r = sendEndpoint(a[1], a[2], sender(replies))
if (r < 0) {
  eprint("echo-client: send: " + lastError() + "\n")
  exit(r == ENOTFOUND ? 3 : 1)
}
const m = recvTimeout(replies, 10000)
if (m === null) {
  eprint("echo-client: answer: " + lastError() + "\n")
  exit(1)
}
print(m!.text + "\n")
