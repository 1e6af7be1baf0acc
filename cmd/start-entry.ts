// Entry of dist/cli/ww-start.js (tools/build-cli.sh), what bin/ww runs for `ww start`: the command line with the
// node in one bundle. Loading the node's ~1,000 modules one by one (resolving, reading, compiling each) was most
// of a node's start-up CPU. The client commands keep their own bundle (dist/cli/ww.js), without libp2p.
import '../src/polyfill.js'
import * as home from '../src/host/home.js'
import * as node from '../src/host/node.js'
import { runWw } from './program.js'
import { useBundledNode } from './start.js'

useBundledNode({ ...node, ...home })
await runWw(process.argv.slice(2))
