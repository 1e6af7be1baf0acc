// Which names (endpoint names, topic hashes) this host's record lists. A new name is signed into the record at once,
// so others find it; a name that went away leaves the record only after a linger (endpointNameLingerMs,
// topicLingerMs), so a proc restarting under the same name (a deployment's replica that crashed) costs no record and
// no gossip wave each time. A lookup of a name a host no longer serves just finds nothing there.
export class AdvertisedNames {
  private advertised = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | undefined

  /** `sign` is given the names to put in the record; `current` reads the names served now. */
  constructor (private readonly sign: (names: string[]) => void, private readonly current: () => string[], private readonly lingerMs: number) {}

  /** The names served changed. */
  changed (): void {
    const now = this.current()
    if (now.some(n => !this.advertised.has(n))) {
      this.publish(now)
      return
    }
    if (now.length === this.advertised.size) { // back to what the record lists
      clearTimeout(this.timer)
      this.timer = undefined
      return
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.publish(this.current())
    }, this.lingerMs)
    this.timer.unref?.()
  }

  close (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private publish (names: string[]): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.advertised = new Set(names)
    this.sign(names)
  }
}
