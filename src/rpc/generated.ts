// What the generated stubs (src/schema/*.rpc.ts, written by tools/capnpc-ww) import: the public surface
// (index.ts) and the pieces only they use to build typed clients and servers. Not for hand-written code: a server
// is served with its generated client's `serve`, a capability field read with the generated `$Caps` accessors.
export * from './index.js'
export { capField, serve } from './capability.js'
