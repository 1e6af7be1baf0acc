// The policy file, <home>/policy.toml, in a small subset of TOML (no dependency):
//
//   # every remote peer without an entry of its own
//   members = ["read"]
//
//   [peers]
//   12D3KooWAbc = ["read", "exec"]      # replaces the members' rights for this peer
//
// Only comments, blank lines, the [peers] table and `key = [ "right", ... ]` lines (bare or "quoted" keys,
// arrays of basic strings on one line) are accepted; anything else is an error naming the line.
import { readFileSync } from 'node:fs'
import { InvalidArgument } from '../errors.js'
import { MEMBERS, parseRights, type Rights } from './policy.js'

/** The grants a policy file makes (MEMBERS for the members), or an empty map when there is no file. */
export function readPolicyFile (file: string): Map<string, Rights> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw err
  }
  return parsePolicy(text, file)
}

export function parsePolicy (text: string, file: string): Map<string, Rights> {
  const grants = new Map<string, Rights>()
  let table = ''
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`
    const line = withoutComment(raw).trim()
    if (line === '') return
    const header = /^\[\s*([A-Za-z0-9_-]+)\s*\]$/.exec(line)
    if (header !== null) {
      if (header[1] !== 'peers') throw new InvalidArgument(`${where}: unknown table [${header[1]}]: the only table is [peers]`)
      table = 'peers'
      return
    }
    const entry = /^("([^"\\]*)"|[A-Za-z0-9_-]+)\s*=\s*\[(.*)\]$/.exec(line)
    if (entry === null) throw new InvalidArgument(`${where}: expected key = ["right", ...], got ${JSON.stringify(line)}`)
    const key = entry[2] ?? entry[1]
    const items = entry[3].trim() === '' ? [] : entry[3].split(',').map(s => s.trim()).filter((s, j, all) => s !== '' || j !== all.length - 1)
    const words = items.map(s => {
      const m = /^"([a-z]+)"$/.exec(s)
      if (m === null) throw new InvalidArgument(`${where}: rights are quoted strings, got ${JSON.stringify(s)}`)
      return m[1]
    })
    if (table === '' && key !== MEMBERS) throw new InvalidArgument(`${where}: unknown key ${JSON.stringify(key)}: put peers under [peers]`)
    if (grants.has(key)) throw new InvalidArgument(`${where}: ${JSON.stringify(key)} is granted twice`)
    grants.set(key, parseRights(words.join(','), where))
  })
  return grants
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
