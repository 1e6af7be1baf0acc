// capnpc-ww: a `capnp compile -o` plugin that writes `<name>.rpc.ts` (typed clients, server
// interfaces, pipelines and capability field accessors for our RPC) beside capnp-es's `<name>.ts`.
// It also makes the accessors of plain fields in capnp-es's <name>.ts direct (direct-fields.ts).
// The RPC runtime import path comes from WW_RPC_RUNTIME (default "../rpc/generated.js": src/rpc's entry for generated code).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import * as capnp from 'capnp-es'
import * as schema from 'capnp-es/capnp/schema'
import { type DirectField, type FieldKind, fieldsImport, rewriteClass } from './direct-fields.js'

const STREAM_RESULT_ID = 0x995f9a3377c0b16en
const runtime = process.env.WW_RPC_RUNTIME ?? '../rpc/generated.js'

const req = new capnp.Message(readFileSync(0), false).getRoot(schema.CodeGeneratorRequest)
const nodes = new Map<bigint, schema.Node>()
for (const n of req.nodes) nodes.set(n.id, n)
const fileNames = new Map<bigint, string>()
for (const f of req.requestedFiles) fileNames.set(f.id, f.filename)
for (const f of req.requestedFiles) for (const i of f.imports) fileNames.set(i.id, i.name)

function node (id: bigint): schema.Node {
  const n = nodes.get(id)
  if (n === undefined) throw new Error(`node ${id.toString(16)} not found`)
  return n
}
const filesByName = new Map<string, bigint>()
for (const n of nodes.values()) if (n.which() === schema.Node.FILE) filesByName.set(n.displayName, n.id)
function fileOf (n: schema.Node): bigint {
  let cur = n
  while (cur.which() !== schema.Node.FILE) {
    // implicit method param/result structs have no scope: their display name starts with the file's
    if (cur.scopeId === 0n) return filesByName.get(cur.displayName.split(':')[0]) ?? 0n
    cur = node(cur.scopeId)
  }
  return cur.id
}
function className (n: schema.Node): string {
  return n.displayName.split(':')[1].split('.').map((s) => s[0].toUpperCase() + s.slice(1)).join('_')
}
function moduleBase (fileId: bigint): string {
  const name = fileNames.get(fileId) ?? node(fileId).displayName
  return name.split('/').pop()!.replace(/\.capnp$/, '')
}

class FileGen {
  readonly esImports = new Map<string, Set<string>>() // module -> names
  readonly out: string[] = []
  /** capnp-es class -> its fields that get direct accessors. */
  readonly direct = new Map<string, DirectField[]>()
  constructor (readonly fileId: bigint, readonly base: string) {}

  /** Name usable in this file for a capnp-es struct class. */
  esClass (n: schema.Node): string {
    const f = fileOf(n)
    const name = className(n)
    const mod = f === this.fileId || n.id === STREAM_RESULT_ID ? `./${this.base}.js` : `./${moduleBase(f)}.js`
    this.use(mod, name)
    return name
  }

  /** Name usable in this file for a generated rpc symbol of node n, with suffix. */
  rpcName (n: schema.Node, suffix: string): string {
    const f = fileOf(n)
    const name = className(n) + suffix
    if (f !== this.fileId) this.use(`./${moduleBase(f)}.rpc.js`, name)
    return name
  }

  use (mod: string, name: string): void {
    let s = this.esImports.get(mod)
    if (s === undefined) { s = new Set(); this.esImports.set(mod, s) }
    s.add(name)
  }
}

function isCapability (t: schema.Type): boolean {
  return t.which() === schema.Type.ANY_POINTER && t.anyPointer.which() === schema.Type_AnyPointer.UNCONSTRAINED &&
    t.anyPointer.unconstrained.which() === schema.Type_AnyPointer_Unconstrained.CAPABILITY
}

function genStruct (g: FileGen, n: schema.Node): void {
  const name = className(n)
  const pipe: string[] = []
  const caps: string[] = []
  for (const f of n.struct.fields) {
    const fname = f.name
    if (f.which() === schema.Field.GROUP) {
      const gn = node(f.group.typeId)
      pipe.push(`  get ${fname} (): ${className(gn)}$Pipeline { return new ${className(gn)}$Pipeline(this.$answer, this.$path) }`)
      continue
    }
    const t = f.slot.type
    const idx = f.slot.offset
    if (t.which() === schema.Type.INTERFACE) {
      const c = g.rpcName(node(t.interface.typeId), 'Client')
      pipe.push(`  get ${fname} (): ${c} { return this.$answer.pipelineCap([...this.$path, ${idx}], ${c}) }`)
      caps.push(`  ${fname}: rpc.capField(${idx}, () => ${c})`)
    } else if (isCapability(t)) {
      pipe.push(`  get ${fname} (): rpc.Capability { return this.$answer.pipelineCap([...this.$path, ${idx}], rpc.Capability) }`)
      caps.push(`  ${fname}: rpc.capField(${idx}, () => rpc.Capability)`)
    } else if (t.which() === schema.Type.STRUCT) {
      const sn = node(t.struct.typeId)
      if (sn.id === STREAM_RESULT_ID) continue
      const p = g.rpcName(sn, '$Pipeline')
      pipe.push(`  get ${fname} (): ${p} { return new ${p}(this.$answer, [...this.$path, ${idx}]) }`)
    }
  }
  const direct = directSpecs(n)
  if (direct.length > 0) g.direct.set(className(n), direct)
  g.out.push(`/** Pipelined view of ${name}: capability fields usable before the answer arrives. */`)
  g.out.push(`export class ${name}$Pipeline {`)
  g.out.push('  constructor (readonly $answer: rpc.Answer<any, any>, readonly $path: number[]) {}')
  g.out.push(...pipe)
  g.out.push('}')
  if (caps.length > 0) {
    g.out.push(`/** Capability fields of ${name}: get (borrowed), has, set (the message keeps its own reference). */`)
    g.out.push(`export const ${name}$Caps = {`)
    g.out.push(caps.join(',\n'))
    g.out.push('}')
  }
}

const DATA_KINDS = new Map<number, [string, number]>([ // type -> FieldKind, bits (a slot offset counts in these)
  [schema.Type.BOOL, ['bool', 1]], [schema.Type.INT8, ['int8', 8]], [schema.Type.UINT8, ['uint8', 8]],
  [schema.Type.INT16, ['int16', 16]], [schema.Type.UINT16, ['uint16', 16]], [schema.Type.ENUM, ['uint16', 16]],
  [schema.Type.INT32, ['int32', 32]], [schema.Type.UINT32, ['uint32', 32]], [schema.Type.INT64, ['int64', 64]],
  [schema.Type.UINT64, ['uint64', 64]], [schema.Type.FLOAT32, ['float32', 32]], [schema.Type.FLOAT64, ['float64', 64]]
])

/**
 * The fields of a struct that get direct accessors (src/rpc/wire/fields.ts): Text, struct and
 * primitive fields outside unions, without an explicit default.
 */
function directSpecs (n: schema.Node): DirectField[] {
  const out: DirectField[] = []
  for (const f of n.struct.fields) {
    if (f.which() !== schema.Field.SLOT || f.discriminantValue !== schema.Field.NO_DISCRIMINANT) continue
    if (f.slot.hadExplicitDefault || f.name === 'constructor') continue
    const t = f.slot.type
    const idx = f.slot.offset
    const data = DATA_KINDS.get(t.which())
    if (data !== undefined) {
      // capnp-es addresses bools by bit and other data fields by byte
      out.push({ name: f.name, kind: data[0] as FieldKind, offset: data[1] === 1 ? idx : idx * data[1] / 8 })
    } else if (t.which() === schema.Type.TEXT) {
      out.push({ name: f.name, kind: 'text', offset: idx })
    } else if (t.which() === schema.Type.STRUCT && t.struct.typeId !== STREAM_RESULT_ID) {
      out.push({ name: f.name, kind: 'struct', offset: idx, Ctor: className(node(t.struct.typeId)) })
    }
  }
  return out
}

interface MethodGen { ifaceId: bigint, methodId: number, name: string, params: string, results: string, stream: boolean, resultsNode: schema.Node }

function collectMethods (g: FileGen, n: schema.Node, seen: Set<bigint>, out: MethodGen[]): void {
  if (seen.has(n.id)) return
  seen.add(n.id)
  const methods = n.interface.methods
  for (let i = 0; i < methods.length; i++) {
    const m = methods.get(i)
    const rn = node(m.resultStructType)
    out.push({
      ifaceId: n.id, methodId: i, name: m.name,
      params: g.esClass(node(m.paramStructType)),
      results: g.esClass(rn), stream: rn.id === STREAM_RESULT_ID, resultsNode: rn
    })
  }
  for (const s of n.interface.superclasses) collectMethods(g, node(s.id), seen, out)
}

function genInterface (g: FileGen, n: schema.Node): void {
  const name = className(n)
  const methods: MethodGen[] = []
  collectMethods(g, n, new Set(), methods)
  const byName = new Map<string, MethodGen>()
  for (const m of methods) if (!byName.has(m.name)) byName.set(m.name, m)
  const ms = [...byName.values()]
  const hex = (v: bigint): string => `0x${v.toString(16)}n`
  g.out.push(`/** Client of ${n.displayName} (a reference: release() or \`using\`). */`)
  g.out.push(`export class ${name}Client extends rpc.Capability {`)
  g.out.push(`  static readonly interfaceId = ${hex(n.id)}`)
  g.out.push('  static readonly methods = {')
  g.out.push(ms.map((m) => `    ${m.name}: { interfaceId: ${hex(m.ifaceId)}, methodId: ${m.methodId}, name: '${m.name}', Params: ${m.params}, Results: ${m.results}${m.stream ? ', stream: true' : ''} } as rpc.MethodInfo<${m.params}, ${m.results}>`).join(',\n'))
  g.out.push('  }')
  const ifaces = new Map<bigint, MethodGen[]>()
  for (const m of methods) { const l = ifaces.get(m.ifaceId) ?? []; l[m.methodId] = m; ifaces.set(m.ifaceId, l) }
  g.out.push('  static readonly dispatch: rpc.DispatchTable = new Map([')
  g.out.push([...ifaces].map(([id, l]) => `    [${hex(id)}, [${l.map((m) => `${name}Client.methods.${m.name}`).join(', ')}]]`).join(',\n'))
  g.out.push('  ])')
  g.out.push(`  /** Exports a server object as a capability (yours to release). */`)
  g.out.push(`  static serve (impl: ${name}Server): ${name}Client { return rpc.serve(${name}Client, impl, ${name}Client.dispatch) }`)
  g.out.push(`  /** A typed view of any capability (takes over the reference). */`)
  g.out.push(`  static from (cap: rpc.Capability): ${name}Client { const c = cap.as(${name}Client); cap.release(); return c }`)
  for (const m of ms) {
    if (m.stream) {
      g.out.push(`  ${m.name} (build?: (params: ${m.params}) => void, windowBytes?: number): Promise<void> { return this.stream(${name}Client.methods.${m.name}, build, windowBytes) }`)
    } else {
      const pl = g.rpcName(m.resultsNode, '$Pipeline')
      g.out.push(`  ${m.name} (build?: (params: ${m.params}) => void, options?: rpc.CallOptions): rpc.Answer<${m.results}, ${pl}> { return this.call(${name}Client.methods.${m.name}, build, options, ${pl}) }`)
    }
  }
  g.out.push('}')
  g.out.push(`/** What a ${n.displayName} server implements (inherited methods included). */`)
  g.out.push(`export interface ${name}Server {`)
  for (const m of ms) g.out.push(`  ${m.name}: (params: ${m.params}, results: ${m.results}, ctx: rpc.CallContext) => void | Promise<void>`)
  g.out.push('  [Symbol.dispose]?: () => void')
  g.out.push('}')
}

function walk (g: FileGen, n: schema.Node): void {
  if (n.which() === schema.Node.STRUCT) genStruct(g, n)
  else if (n.which() === schema.Node.INTERFACE) {
    genInterface(g, n)
    for (const m of n.interface.methods) {
      for (const id of [m.paramStructType, m.resultStructType]) {
        const s = node(id)
        if (s.scopeId === 0n && s.id !== STREAM_RESULT_ID) genStruct(g, s)
      }
    }
  }
  for (const nested of n.nestedNodes) {
    const c = nodes.get(nested.id)
    if (c !== undefined) walk(g, c)
  }
  if (n.which() === schema.Node.STRUCT) {
    for (const f of n.struct.fields) if (f.which() === schema.Field.GROUP) walk(g, node(f.group.typeId))
  }
}

for (const f of req.requestedFiles) {
  const base = f.filename.split('/').pop()!.replace(/\.capnp$/, '')
  const g = new FileGen(f.id, base)
  walk(g, node(f.id))
  const head = ['// Generated by tools/capnpc-ww from ' + f.filename.split('/').pop() + '. Do not edit: run `make schema`.',
    '/* eslint-disable */',
    `import * as rpc from '${runtime}'`]
  for (const [mod, names] of [...g.esImports].sort()) head.push(`import { ${[...names].sort().join(', ')} } from '${mod}'`)
  writeFileSync(`${base}.rpc.ts`, head.join('\n') + '\n\n' + g.out.join('\n') + '\n')
  makeDirect(`${base}.ts`, g.direct)
}

/** Makes the accessors of `direct` fields in capnp-es's file `file` direct (see direct-fields.ts). */
function makeDirect (file: string, direct: Map<string, DirectField[]>): void {
  if (direct.size === 0 || !existsSync(file)) return
  let src = readFileSync(file, 'utf8')
  for (const [cls, fields] of direct) src = rewriteClass(src, cls, fields)
  const first = src.indexOf('\nimport ')
  const at = first < 0 ? 0 : src.indexOf('\n', first + 1) + 1
  writeFileSync(file, src.slice(0, at) + fieldsImport(runtime) + '\n' + src.slice(at))
}
