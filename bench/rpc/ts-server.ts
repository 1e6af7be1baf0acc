// The TypeScript interop server as a process of its own: ts-server.js <socket path>.
// Prints "listening unix:<path>"; exits on SIGTERM.
import { Live } from '../../test/rpc/interop/ts-peer.js'
import { startTsTestServer } from '../../test/rpc/interop/ts-server.js'

const path = process.argv[2]
if (path === undefined) {
  console.error('usage: ts-server.js <socket path>')
  process.exit(2)
}
const server = await startTsTestServer(path, new Live(), false)
console.log(`listening ${server.address}`)
process.once('SIGTERM', () => { void server.close().then(() => process.exit(0)) })
