// hello (AssemblyScript): prints its arguments and $GREETING to stdout, a line to stderr, exits 7.
import { args, eprint, exit, getenv, print } from "../as/ww"
// Every AS guest re-exports the scratch area the runtime suspends it into.
export { ww_asyncify_buffer, ww_asyncify_size } from "../as/ww"

const argv = args()
for (let i = 1; i < argv.length; i++) print("arg " + i.toString() + ": " + argv[i] + "\n")
const greeting = getenv("GREETING")
let shown = "(unset)"
if (greeting !== null) shown = greeting!
print("GREETING=" + shown + "\n")
eprint("hello on stderr\n")
exit(7)
