// Direct field accessors, written into capnp-es's generated struct classes (<name>.ts) by
// capnpc-ww: the accessors of plain fields (primitives, enums, Text, structs; outside unions,
// without an explicit default) read and write the struct's bytes (src/rpc/wire/fields.ts), each
// keeping capnp-es's own code as its fallback for anything uncommon (far pointers, composite-list
// elements, a smaller struct from an older schema, a full segment), so behaviour and errors stay
// capnp-es's. Nothing is patched at load time.

/** How a field is stored: a data field of a primitive type, or a Text/struct pointer. */
export type FieldKind = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64' | 'text' | 'struct'

/** One field: name, kind, and where: its bit (bool), byte (other data fields) or pointer index; for 'struct' its class. */
export interface DirectField { name: string, kind: FieldKind, offset: number, Ctor?: string }

/** The capnp-es Segment accessor and byte size of each primitive data kind. */
const DATA: Record<string, [string, number]> = {
  int8: ['Int8', 1], uint8: ['Uint8', 1], int16: ['Int16', 2], uint16: ['Uint16', 2], int32: ['Int32', 4], uint32: ['Uint32', 4],
  int64: ['Int64', 8], uint64: ['Uint64', 8], float32: ['Float32', 4], float64: ['Float64', 8]
}

/** The name the rewritten struct file imports src/rpc/wire/fields.js under. */
export const FIELDS = '$direct'

const esc = (s: string): string => s.replace(/[$()[\]{}.*+?^|\\]/g, '\\$&')

/**
 * `source` (a capnp-es generated file) with the accessors of `fields` in class `cls` made direct.
 * An accessor not found in capnp-es's usual form is left as it is.
 */
export function rewriteClass (source: string, cls: string, fields: DirectField[]): string {
  const start = source.indexOf(`\nexport class ${cls} extends $.Struct {`)
  if (start < 0) return source
  const end = source.indexOf('\n}\n', start)
  let body = source.slice(start, end)
  for (const f of fields) {
    body = replaceAccessor(body, `get ${f.name}\\(\\): ([^\\n]+)`, (type, orig) => getter(f, type, orig))
    body = replaceAccessor(body, `set ${f.name}\\(value: ([^\\n]+)\\)`, (_type, orig) => setter(f, orig))
    if (f.kind === 'struct') {
      const init = `_init${f.name[0].toUpperCase()}${f.name.slice(1)}`
      body = replaceAccessor(body, `${init}\\(\\): ([^\\n]+)`, (_type, orig) => `return ${FIELDS}.initStructField(this, ${f.offset}, ${f.Ctor}) ?? ${strip(orig)}`)
    }
  }
  return source.slice(0, start) + body + source.slice(end)
}

/** Replaces the one-statement body of the accessor whose head matches `head` with make(type, statement). */
function replaceAccessor (body: string, head: string, make: (type: string, orig: string) => string | undefined): string {
  const re = new RegExp(`(\\n  ${head} \\{\\n    )([^\\n]+);\\n  \\}`)
  const m = re.exec(body)
  if (m === null) return body
  const out = make(m[2], m[3])
  if (out === undefined) return body
  return body.slice(0, m.index) + `${m[1]}${out}\n  }` + body.slice(m.index + m[0].length)
}

/** capnp-es's statement without its `return `. */
const strip = (orig: string): string => orig.replace(/^return /, '')

function getter (f: DirectField, type: string, orig: string): string | undefined {
  const fallback = strip(orig)
  if (f.kind === 'text') return `return ${FIELDS}.readText(this, ${f.offset}) ?? ${fallback}`
  if (f.kind === 'struct') return `return ${FIELDS}.readStruct(this, ${f.offset}, ${f.Ctor}) ?? ${fallback}`
  if (f.kind === 'bool') {
    return `const at = ${FIELDS}.dataAt(this, ${f.offset >>> 3}, 1)\n    return at >= 0 ? (this.segment.getUint8(at) & ${1 << (f.offset & 7)}) !== 0 : ${fallback}`
  }
  const [name, size] = DATA[f.kind]
  return `const at = ${FIELDS}.dataAt(this, ${f.offset}, ${size})\n    return at >= 0 ? this.segment.get${name}(at) as ${type} : ${fallback}`
}

function setter (f: DirectField, orig: string): string | undefined {
  if (f.kind === 'struct') return undefined // capnp-es copies the struct: kept
  if (f.kind === 'text') return `if (!${FIELDS}.writeText(this, ${f.offset}, value)) ${orig}`
  if (f.kind === 'bool') {
    const mask = 1 << (f.offset & 7)
    return `const at = ${FIELDS}.dataAt(this, ${f.offset >>> 3}, 1)\n    if (at < 0) { ${orig}; return }\n    const b = this.segment.getUint8(at)\n    this.segment.setUint8(at, value ? b | ${mask} : b & ~${mask})`
  }
  const [name, size] = DATA[f.kind]
  return `const at = ${FIELDS}.dataAt(this, ${f.offset}, ${size})\n    if (at >= 0) this.segment.set${name}(at, value)\n    else ${orig}`
}

/** The import the rewritten file needs (`runtime`: the path of src/rpc/generated.js from it). */
export function fieldsImport (runtime: string): string {
  return `import * as ${FIELDS} from '${runtime.replace(/generated\.js$/, 'wire/fields.js')}'`
}
