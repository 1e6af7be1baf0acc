// The Endpoints capability (schema/endpoints.capnp) over this host's registry and the cluster-wide lookup.
// The owner's (API socket) may publish here; the one a remote peer gets lists and sends only.
import { readMessage } from './chan-message.js'
import { NotFound, PermissionDenied, reasonOf } from '../errors.js'
import { Endpoints_Publish$Params$Caps, Endpoints_Publish$Results$Caps, Endpoint$Caps, EndpointsClient, PublicationClient } from '../schema/endpoints.rpc.js'
import { Pick } from '../schema/endpoints.js'
import type { Capability } from '../rpc/index.js'
import type { SenderClient } from '../schema/channel.rpc.js'

/** One endpoint a lookup found: its host, its proc, its id there, how long it has been published, a sender to it. */
export interface FoundEndpoint {
  peer: string
  pid: number
  id: bigint
  ageMs: number
  sender: SenderClient
}

/** A host a lookup could not list the endpoints of: it refused, failed, or did not answer in time. */
export interface LeftOutHost {
  peer: string
  err: Error
}

/** What the server uses of this host's endpoint registry (src/host/endpoint-registry.ts). */
export interface EndpointPublisher {
  publish: (name: string, pid: number, sender: SenderClient) => { id: bigint }
  unpublish: (name: string, id: bigint) => boolean
}

/** What the server uses of the cluster-wide lookup (src/host/endpoint-lookup.ts). */
export interface EndpointFinder {
  here: (name: string) => FoundEndpoint[]
  /** The live endpoints of `name` across the cluster, and the hosts left out. */
  search: (name: string, signal?: AbortSignal) => Promise<{ found: FoundEndpoint[], failures: LeftOutHost[] }>
  send: (name: string, msg: { data: Uint8Array, cap: Capability | null }, pick: 'round-robin' | 'random', signal?: AbortSignal) => Promise<{ peer: string, pid: number, id: bigint }>
}

export interface EndpointsParts {
  registry: EndpointPublisher
  lookup: EndpointFinder
  /** Every name some live host serves, with how many hosts serve it. */
  served: () => Map<string, number>
  /** May publish and unpublish on this host (the owner's). */
  owner: boolean
  /** Why list and send are refused (a remote peer without 'write': they hand out and use channel capabilities). */
  refuseSend?: Error
}

export function serveEndpoints (parts: EndpointsParts): EndpointsClient {
  const { registry, lookup } = parts
  const ownerOnly = (what: string): void => {
    if (!parts.owner) throw new PermissionDenied(`${what} is for this host's owner: a host serves only its own endpoints`)
  }
  return EndpointsClient.serve({
    publish (params, results) {
      ownerOnly('publishing an endpoint')
      const name = params.name
      const e = registry.publish(name, 0, Endpoints_Publish$Params$Caps.sender.get(params).dup())
      const end = (): void => { registry.unpublish(name, e.id) }
      using publication = PublicationClient.serve({ unpublish: end, [Symbol.dispose]: end })
      Endpoints_Publish$Results$Caps.publication.set(results, publication)
    },
    unpublish (params) {
      ownerOnly('unpublishing an endpoint')
      if (!registry.unpublish(params.name, params.id)) throw new NotFound(`no endpoint ${params.id} named ${params.name} on this host`)
    },
    async list (params, results, ctx) {
      if (parts.refuseSend !== undefined) throw parts.refuseSend
      const { found, failures } = params.here ? { found: lookup.here(params.name), failures: [] } : await lookup.search(params.name, ctx.signal)
      try {
        const left = results._initLeftOut(failures.length)
        failures.forEach((f, i) => {
          left.get(i).peer = f.peer
          left.get(i).reason = reasonOf(f.err)
        })
        const list = results._initEndpoints(found.length)
        found.forEach((e, i) => {
          const to = list.get(i)
          to.peer = e.peer
          to.pid = e.pid
          to.id = e.id
          to.ageMs = BigInt(Math.max(0, e.ageMs))
          Endpoint$Caps.sender.set(to, e.sender)
        })
      } finally {
        for (const e of found) e.sender.release()
      }
    },
    names (_params, results) {
      const served = [...parts.served()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      const list = results._initNames(served.length)
      served.forEach(([name, hosts], i) => {
        list.get(i).name = name
        list.get(i).hosts = hosts
      })
    },
    async send (params, results, ctx) {
      if (parts.refuseSend !== undefined) throw parts.refuseSend
      const msg = readMessage(params.msg)
      try {
        const to = await lookup.send(params.name, msg, params.pick === Pick.RANDOM ? 'random' : 'round-robin', ctx.signal)
        results.peer = to.peer
        results.pid = to.pid
        results.id = to.id
      } finally { msg.cap?.release() }
    }
  })
}
