// The embargoes table: pipelined capabilities (or promise imports) we had sent calls through that
// resolved to something nearer; calls on them wait until the Disembargo we sent comes back, so they
// cannot overtake the calls still on their way through the peer. Keyed by ids we pick.
//
// Ids: the smallest free id (IdTable.add), sent as Disembargo.context.senderLoopback. An entry is
// added when the embargo is sent and freed when the peer echoes it (receiverLoopback), or at
// disconnect (the waiting capability breaks).
import { type Disconnected } from '../errors.js'
import { type CapHook, ErrorHook, PromiseHook } from './hooks.js'
import { IdTable } from './id-table.js'
import { ProtocolError } from './protocol-error.js'

export class Embargo {
  /** What callers hold meanwhile: their calls queue here, in order. */
  readonly hook = new PromiseHook()
  constructor (
    /** The resolution (our reference), handed to `hook` when the Disembargo comes back. */
    readonly target: CapHook
  ) {}
}

export class EmbargoTable {
  private readonly ids = new IdTable<Embargo>()

  get size (): number { return this.ids.size }

  /** An embargo on `target` (taking that reference); returns its id and the hook callers get. */
  add (target: CapHook): { id: number, hook: PromiseHook } {
    const e = new Embargo(target)
    return { id: this.ids.add(e), hook: e.hook }
  }

  /** The peer echoed embargo `id`: its calls flow to the resolution. */
  lift (id: number): void {
    const e = this.ids.get(id)
    if (e === undefined) throw new ProtocolError(`unknown embargo ${id}`)
    this.ids.delete(id)
    e.hook.resolve(e.target)
  }

  /** At disconnect: every embargoed capability breaks. */
  breakAll (lost: Disconnected): void {
    for (const [id, e] of this.ids.entries()) { this.ids.delete(id); e.target.release(); e.hook.resolve(new ErrorHook(lost)) }
  }
}
