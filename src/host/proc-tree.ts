// Supervised proc trees on one host: the children each guest spawned, here or on another host, which end when
// it ends unless spawned detached; and the hosts that leave the cluster, so that whoever waits on a proc there
// learns `host lost` (Disconnected) within the membership TTL even when no connection drop says so.
import { Disconnected } from '../errors.js'

export class ProcTree {
  /** Parent pid -> how to end each of its children still running. */
  private readonly children = new Map<number, Set<() => void>>()

  /** Ends `kill`'s child when `parent` ends; call the returned function once the child ended on its own. */
  adopt (parent: number, kill: () => void): () => void {
    let set = this.children.get(parent)
    if (set === undefined) { set = new Set(); this.children.set(parent, set) }
    const entry = (): void => { kill() }
    set.add(entry)
    return () => {
      set.delete(entry)
      if (set.size === 0 && this.children.get(parent) === set) this.children.delete(parent)
    }
  }

  /** `parent` ended: ends its children. */
  orphan (parent: number): void {
    const set = this.children.get(parent)
    this.children.delete(parent)
    for (const kill of set ?? []) kill()
  }
}

/** Subscribes to hosts leaving the cluster; returns the unsubscribe. */
export type OnHostLeft = (listener: (peer: string) => void) => () => void

export class HostWatch {
  private readonly waiting = new Map<string, Set<(err: Disconnected) => void>>()
  private readonly stop: () => void

  constructor (onHostLeft: OnHostLeft | undefined, private readonly live: (peer: string) => boolean) {
    this.stop = onHostLeft?.(peer => { this.left(peer) }) ?? (() => {})
  }

  private left (peer: string): void {
    const set = this.waiting.get(peer)
    this.waiting.delete(peer)
    const err = new Disconnected(`host ${peer} left the cluster`)
    for (const fail of set ?? []) fail(err)
  }

  /** Rejects with Disconnected when `peer` leaves the cluster (at once if it is not in it); never resolves. */
  async lost (peer: string, signal?: AbortSignal): Promise<never> {
    return await new Promise<never>((_resolve, reject) => {
      if (!this.live(peer)) { reject(new Disconnected(`host ${peer} is not in the cluster`)); return }
      if (signal?.aborted === true) return
      let set = this.waiting.get(peer)
      if (set === undefined) { set = new Set(); this.waiting.set(peer, set) }
      const s = set
      const fail = (err: Disconnected): void => { signal?.removeEventListener('abort', forget); reject(err) }
      const forget = (): void => {
        s.delete(fail)
        if (s.size === 0 && this.waiting.get(peer) === s) this.waiting.delete(peer)
      }
      s.add(fail)
      signal?.addEventListener('abort', forget, { once: true })
    })
  }

  close (): void {
    this.stop()
    this.waiting.clear()
  }
}
