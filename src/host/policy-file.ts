// The policy file, <home>/policy.toml, in a small subset of TOML (no dependency):
//
//   # every remote peer without an entry of its own
//   members = ["read", "exec"]
//   allow-modules = ["<sha256 hex>"]          # members may run only these modules...
//   allow-signers = ["ed25519:<hex>"]         # ...or modules signed by one of these keys
//
//   [peers]
//   12D3KooWAbc = ["read", "exec"]      # replaces the members' rights for this peer
//
//   [modules.12D3KooWAbc]               # replaces the members' module rules for this peer
//   allow-signers = ["ed25519:<hex>"]   # (a section with neither key: any module)
//
// Only comments, blank lines, these tables and `key = [ "string", ... ]` lines (bare or "quoted" keys,
// arrays of basic strings on one line) are accepted; anything else is an error naming the line.
import { readFileSync } from 'node:fs'
import { InvalidArgument } from '../errors.js'
import { ModuleRules, parseModuleHash, parseSignerName } from './module-rules.js'
import { MEMBERS, parseRights, type Rights } from './policy.js'

export const ALLOW_MODULES = 'allow-modules'
export const ALLOW_SIGNERS = 'allow-signers'

export interface PolicyFile {
  /** Rights per peer ID, MEMBERS for the members. */
  grants: Map<string, Rights>
  /** Module rules per peer ID, MEMBERS for the members; only the names the file gives rules for. */
  modules: Map<string, ModuleRules>
}

/** What a policy file says, or nothing when there is no file. */
export function readPolicyFile (file: string): PolicyFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { grants: new Map(), modules: new Map() }
    throw err
  }
  return parsePolicy(text, file)
}

export function parsePolicy (text: string, file: string): PolicyFile {
  const grants = new Map<string, Rights>()
  const lists = new Map<string, { hashes?: string[], signers?: string[] }>()
  let table = ''
  let modulesOf = MEMBERS
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`
    const line = withoutComment(raw).trim()
    if (line === '') return
    const header = /^\[\s*([A-Za-z0-9_-]+)(?:\.(?:"([^"\\]*)"|([A-Za-z0-9_-]+)))?\s*\]$/.exec(line)
    if (header !== null) {
      const sub = header[2] ?? header[3]
      if (header[1] === 'peers' && sub === undefined) {
        table = 'peers'
      } else if (header[1] === 'modules' && sub !== undefined) {
        if (lists.has(sub) && sub !== MEMBERS) throw new InvalidArgument(`${where}: [modules.${sub}] is given twice`)
        if (sub === MEMBERS) throw new InvalidArgument(`${where}: the members' module rules are ${ALLOW_MODULES} and ${ALLOW_SIGNERS} at the top of the file`)
        table = 'modules'
        modulesOf = sub
        lists.set(sub, {})
      } else {
        throw new InvalidArgument(`${where}: unknown table [${line.slice(1, -1).trim()}]: the tables are [peers] and [modules.PEER]`)
      }
      return
    }
    const entry = /^("([^"\\]*)"|[A-Za-z0-9_-]+)\s*=\s*\[(.*)\]$/.exec(line)
    if (entry === null) throw new InvalidArgument(`${where}: expected key = ["string", ...], got ${JSON.stringify(line)}`)
    const key = entry[2] ?? entry[1]
    const items = entry[3].trim() === '' ? [] : entry[3].split(',').map(s => s.trim()).filter((s, j, all) => s !== '' || j !== all.length - 1)
    const strings = items.map(s => {
      const m = /^"([^"\\]*)"$/.exec(s)
      if (m === null) throw new InvalidArgument(`${where}: the values are quoted strings, got ${JSON.stringify(s)}`)
      return m[1]
    })
    if (key === ALLOW_MODULES || key === ALLOW_SIGNERS) {
      if (table === 'peers') throw new InvalidArgument(`${where}: a peer's module rules go under [modules.PEER], not [peers]`)
      const name = table === '' ? MEMBERS : modulesOf
      const l = lists.get(name) ?? {}
      lists.set(name, l)
      const field = key === ALLOW_MODULES ? 'hashes' : 'signers'
      if (l[field] !== undefined) throw new InvalidArgument(`${where}: ${key} is given twice`)
      l[field] = strings.map(s => key === ALLOW_MODULES ? parseModuleHash(s, where) : parseSignerName(s, where))
      return
    }
    if (table === 'modules') throw new InvalidArgument(`${where}: unknown key ${JSON.stringify(key)}: [modules.PEER] takes ${ALLOW_MODULES} and ${ALLOW_SIGNERS}`)
    if (table === '' && key !== MEMBERS) throw new InvalidArgument(`${where}: unknown key ${JSON.stringify(key)}: put peers under [peers]`)
    if (grants.has(key)) throw new InvalidArgument(`${where}: ${JSON.stringify(key)} is granted twice`)
    for (const w of strings) if (!/^[a-z]+$/.test(w)) throw new InvalidArgument(`${where}: unknown right ${JSON.stringify(w)}: rights are words such as "read"`)
    grants.set(key, parseRights(strings.join(','), where))
  })
  const modules = new Map([...lists].map(([name, l]) => [name, new ModuleRules(
    l.hashes === undefined ? undefined : new Set(l.hashes), l.signers === undefined ? undefined : new Set(l.signers))]))
  return { grants, modules }
}

/** The line up to a # that is not inside a string. */
function withoutComment (line: string): string {
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted
    else if (line[i] === '#' && !quoted) return line.slice(0, i)
  }
  return line
}
