// Entry of the CLI's V8 startup snapshot (`make build`: dist/cli/ww.blob; bin/ww runs client commands
// from it). Building the snapshot evaluates every module of the client commands once; a command then
// starts from that heap instead of loading and evaluating them again. Nothing here may read the
// environment, the clock or the terminal while modules load: that would be frozen at build time.
import { startupSnapshot } from 'node:v8'
import { runWw } from './program.js'

if (!startupSnapshot.isBuildingSnapshot()) throw new Error('cmd/snapshot.js is the entry of a startup snapshot: run bin/ww')
// A process started from the snapshot has no script in its argv: [node, ...args].
startupSnapshot.setDeserializeMainFunction(() => { void runWw(process.argv.slice(1)) })
