// Named endpoints as one proc on this host uses them (ww_endpoint_*): what it publishes is owned by its pid and
// ends when it ends (host-procs.ts).
import type { OpOptions } from '../csp/index.js'
import { InvalidArgument } from '../errors.js'
import type { Cap, EndpointPick, GuestEndpoints, Message } from '../proc/index.js'
import { SenderClient } from '../schema/channel.rpc.js'
import { exportCap } from './guest-caps.js'
import type { EndpointLookup } from './endpoint-lookup.js'
import type { EndpointRegistry } from './endpoint-registry.js'

export interface HostEndpoints {
  registry: EndpointRegistry
  lookup: EndpointLookup
}

export function guestEndpoints (pid: number, { registry, lookup }: HostEndpoints): GuestEndpoints {
  return {
    async publish (name: string, cap: Cap) {
      if (cap.kind !== 'chan' && cap.kind !== 'sender') throw new InvalidArgument(`an endpoint is a channel or its send end, not a ${cap.kind}`)
      registry.publish(name, pid, SenderClient.from(await exportCap(cap)))
    },
    unpublish (name: string) {
      const mine = registry.list(name).find(e => e.pid === pid)
      return mine !== undefined && registry.unpublish(name, mine.id)
    },
    async count (name: string, opts?: OpOptions) {
      const found = await lookup.find(name, opts?.signal)
      for (const e of found) e.sender.release()
      return found.length
    },
    async send (name: string, msg: Message, pick: EndpointPick, opts?: OpOptions) {
      const cap = msg.cap === undefined ? null : await exportCap(msg.cap)
      try {
        await lookup.send(name, { data: msg.data, cap }, pick, opts?.signal)
      } finally { cap?.release() }
    }
  }
}
