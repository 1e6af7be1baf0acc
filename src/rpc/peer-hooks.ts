// The hooks of capabilities the peer hosts: an import (a capability the peer exported to us) and
// a pipelined capability in the results of a question still in flight.
import type { CallTarget } from './envelope.js'
import { type AnswerHook, type CapHook, type OutCall, PromiseHook, SettledAnswer, releaseCaps } from './hooks.js'

/** What these hooks need of their connection. */
export interface PeerCalls {
  sendCall: (c: OutCall, target: CallTarget, yourself: boolean) => AnswerHook
  releaseImport: (hook: ImportHook) => void
}

/** A capability the peer hosts (an entry of the imports table). */
export class ImportHook implements CapHook {
  refs = 1
  target?: CapHook
  broken?: Error
  callsSent = 0
  private cbs: Array<(t: CapHook) => void> = []
  constructor (readonly owner: PeerCalls, readonly id: number, readonly isPromise: boolean) {}

  call (c: OutCall): AnswerHook {
    if (this.target !== undefined) return this.target.call(c)
    if (this.broken !== undefined) { releaseCaps(c.msg); return new SettledAnswer(this.broken) }
    this.callsSent++
    return this.owner.sendCall(c, { importedCap: this.id }, false)
  }

  addRef (): CapHook { this.refs++; return this }
  release (): void {
    if (this.refs <= 0) return
    if (--this.refs !== 0) return
    this.owner.releaseImport(this)
    this.target?.release()
    this.target = undefined
  }

  resolved (): CapHook { return this.target?.resolved() ?? this }

  onResolve (cb: (t: CapHook) => void): boolean {
    if (!this.isPromise || this.target !== undefined || this.broken !== undefined) return false
    this.cbs.push(cb)
    return true
  }

  resolveTo (t: CapHook): void {
    if (this.target !== undefined || this.refs <= 0) { t.release(); return }
    this.target = t
    for (const cb of this.cbs.splice(0)) cb(t)
  }
}

/** A capability in the results of a question still in flight: calls go to the peer as promisedAnswer. */
export class PipelineHook extends PromiseHook {
  constructor (readonly conn: PeerCalls, readonly questionId: number, readonly transform: number[]) {
    super()
    this.owner = conn
    this.forward = (c) => conn.sendCall(c, { questionId, transform }, false)
  }
}
