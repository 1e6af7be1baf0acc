// The ModuleSource capability (schema executor.capnp): ships a module's bytes, by hash, to a host that lacks them.
import { ModuleNotFound } from '../errors.js'
import { ModuleSourceClient } from '../schema/executor.rpc.js'

const hashHex = (h: Uint8Array): string => Buffer.from(h).toString('hex')

/** Serves the bytes `lookup` finds by hash; ModuleNotFound for the rest. */
export function serveModuleSource (lookup: (hash: Uint8Array) => Promise<Uint8Array | undefined>): ModuleSourceClient {
  return ModuleSourceClient.serve({
    async fetch (params, results) {
      const hash = params.hash.toUint8Array().slice()
      const bytes = await lookup(hash)
      if (bytes === undefined) throw new ModuleNotFound(`module ${hashHex(hash)} is not here either`)
      results._initBytes(bytes.byteLength).copyBuffer(bytes)
    }
  })
}
