// The hooks of capabilities the peer hosts: an import (a capability the peer exported to us) and
// a pipelined capability in the results of a question still in flight. Both answer the one
// question the connection asks of a hook, "does my peer host you, and how does it name you?"
// (PeerHosted), when it describes a capability, reflects a call or checks an embargo.
import type { CallTarget } from './wire/envelope.js'
import { type AnswerHook, type CapHook, type OutCall, PromiseHook, SettledAnswer, releaseCaps } from './hooks.js'
import type { StreamWindow } from './stream-window.js'

/** A capability that may live on the other side of a connection. */
export interface PeerHosted {
  /** How `conn`'s peer names this capability, or undefined when that peer does not host it. */
  peerTarget: (conn: PeerCalls) => CallTarget | undefined
  /** A call to it was sent to that peer (so a later resolution to something nearer needs an embargo). */
  countCall: () => void
}

/** Where `hook` (resolved) lives on `conn`'s peer, if there. */
export function peerTargetOf (hook: CapHook, conn: PeerCalls): CallTarget | undefined {
  return (hook.resolved() as Partial<PeerHosted>).peerTarget?.(conn)
}

/** The resolved hook of `hook` when `conn`'s peer hosts it. */
export function peerHosted (hook: CapHook, conn: PeerCalls): (CapHook & PeerHosted) | undefined {
  const h = hook.resolved() as CapHook & Partial<PeerHosted>
  return h.peerTarget?.(conn) !== undefined ? h as CapHook & PeerHosted : undefined
}

/** What these hooks need of their connection. */
export interface PeerCalls {
  sendCall: (c: OutCall, target: CallTarget, yourself: boolean) => AnswerHook
  releaseImport: (hook: ImportHook) => void
}

/** A capability the peer hosts (an entry of the imports table). */
export class ImportHook implements CapHook, PeerHosted {
  refs = 1
  target?: CapHook
  broken?: Error
  streamWindow?: StreamWindow = undefined
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

  peerTarget (conn: PeerCalls): CallTarget | undefined {
    return this.owner === conn && this.broken === undefined ? { importedCap: this.id } : undefined
  }

  countCall (): void { this.callsSent++ }

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
export class PipelineHook extends PromiseHook implements PeerHosted {
  constructor (readonly conn: PeerCalls, readonly questionId: number, readonly transform: number[]) {
    super()
    this.owner = conn
    this.forward = (c) => conn.sendCall(c, { questionId, transform }, false)
  }

  peerTarget (conn: PeerCalls): CallTarget | undefined {
    return this.conn === conn ? { questionId: this.questionId, transform: this.transform } : undefined
  }

  countCall (): void { this.forwardedCalls++ }
}
