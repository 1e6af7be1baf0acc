// A call from the peer as connection.ts hands it to its target (OutCall).
import type * as capnp from 'capnp-es'
import type * as rpc from 'capnp-es/capnp/rpc'
import type { OutCall } from './hooks.js'
import type { Session } from './session.js'

/** A call from the peer as handed to its target (a class, not a literal: see questions.ts on pretenuring). */
export class ReceivedCall implements OutCall {
  params?: rpc.Payload = undefined
  paramsAt?: number = undefined
  contentPtr?: number = undefined
  depth?: number = undefined
  signal?: AbortSignal = undefined
  stream?: boolean = undefined
  constructor (public interfaceId: bigint, public methodId: number, public msg: capnp.Message, public origin: Session,
    public answerId: number, public onlyPipeline: boolean) {}
}
