// Which modules a remote peer may run on this host: modules named by their SHA-256 (allow-modules),
// and/or modules carrying a valid signature by one of some Ed25519 keys (allow-signers). A module
// passes when it is on either list. Rules with neither list let any module run (the default).
import { InvalidArgument } from '../errors.js'
import { formatSigner, parseSigner } from '../proc/module-signature.js'

export class ModuleRules {
  /** `hashes`: SHA-256 hex (lower case); `signers`: `ed25519:<hex>` (lower case); undefined = that list is not used. */
  constructor (readonly hashes?: ReadonlySet<string>, readonly signers?: ReadonlySet<string>) {}

  static readonly ANY = new ModuleRules()

  get restricted (): boolean {
    return this.hashes !== undefined || this.signers !== undefined
  }

  /** These rules with more allowed hashes and signers (each list used from then on). */
  allowing (hashes: readonly string[], signers: readonly string[]): ModuleRules {
    const add = (set: ReadonlySet<string> | undefined, more: readonly string[]): ReadonlySet<string> | undefined =>
      more.length === 0 ? set : new Set([...(set ?? []), ...more])
    return new ModuleRules(add(this.hashes, hashes), add(this.signers, signers))
  }

  /**
   * Why module `hash` (hex) may not run, or undefined when it may. `signers`: the signers whose signatures
   * over it verified; `unverified`: how many signatures given for it did not.
   */
  refusal (hash: string, signers: readonly string[], unverified: number): string | undefined {
    if (!this.restricted) return undefined
    if (this.hashes?.has(hash) === true) return undefined
    if (signers.some(s => this.signers?.has(s) === true)) return undefined
    const onList = this.hashes === undefined ? undefined : 'it is not on the list of allowed modules'
    let signed: string | undefined
    if (this.signers !== undefined) {
      const notes = [
        unverified > 0 ? `${unverified} signature${unverified === 1 ? '' : 's'} did not verify` : '',
        signers.length > 0 ? `signed only by ${signers.join(', ')}` : '',
        unverified === 0 && signers.length === 0 ? 'it carries none' : ''
      ].filter(n => n !== '')
      signed = `it carries no valid signature by an allowed signer (${notes.join('; ')})`
    }
    return [onList, signed].filter(r => r !== undefined).join(', and ')
  }

  describe (): string {
    if (!this.restricted) return 'any module'
    const parts = []
    if (this.hashes !== undefined) parts.push(`${this.hashes.size} module${this.hashes.size === 1 ? '' : 's'} by hash`)
    if (this.signers !== undefined) parts.push(`modules signed by ${this.signers.size} key${this.signers.size === 1 ? '' : 's'}`)
    return parts.join(' or ')
  }
}

/** A module's SHA-256 as policies and flags take it: 64 hex digits (as sha256sum prints it), lower-cased. */
export function parseModuleHash (text: string, where: string): string {
  const t = text.trim().toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(t)) throw new InvalidArgument(`${where}: a module is named by its SHA-256, 64 hex digits (sha256sum FILE.wasm), got ${JSON.stringify(text)}`)
  return t
}

/** A signer as policies and flags take it, normalized to `ed25519:<lower-case hex>`. */
export function parseSignerName (text: string, where: string): string {
  return formatSigner(parseSigner(text, where))
}
