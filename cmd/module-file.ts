// A module file as ww run and ww sign take it, and its detached signatures (FILE.wasm.sig, src/proc/module-signature.ts).
import { readFileSync } from 'node:fs'
import { InvalidArgument, NotFound } from '../src/errors.js'
import { parseSignatureFile, type ModuleSignature } from '../src/proc/module-signature.js'

/** The module's bytes; one clear line when the file is not a WebAssembly module. `command` names who takes it. */
export function readModule (file: string, command = 'ww run'): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EISDIR') throw new InvalidArgument(`${file} is a directory; ${command} takes a .wasm file`)
    throw new NotFound(`cannot read ${file}: ${code ?? String(err)}`)
  }
  const magic = [0x00, 0x61, 0x73, 0x6d]
  if (bytes.byteLength < 8 || magic.some((b, i) => bytes[i] !== b)) {
    throw new InvalidArgument(`${file} is not a WebAssembly module (no \\0asm header); ${command} takes a .wasm file built for wasm32-wasi`)
  }
  if (!WebAssembly.validate(bytes as BufferSource)) {
    let why = 'invalid'
    try { new WebAssembly.Module(bytes as BufferSource) } catch (err) { why = (err as Error).message.replace(/^WebAssembly\.Module\(\): /, '') } // eslint-disable-line no-new
    throw new InvalidArgument(`${file} is not a valid WebAssembly module: ${why}`)
  }
  return bytes
}

/** Where a module's signatures are kept: next to it. */
export const signatureFileOf = (moduleFile: string): string => `${moduleFile}.sig`

/**
 * The signatures in `file`: none when it does not exist and `optional`; NotFound when it must; InvalidArgument
 * naming the line when it is malformed.
 */
export function readSignatures (file: string, optional: boolean): ModuleSignature[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && optional) return []
    if (code === 'ENOENT') throw new NotFound(`no signature file ${file}: sign the module with 'ww sign MODULE --key KEYFILE'`)
    throw new NotFound(`cannot read ${file}: ${code ?? String(err)}`)
  }
  return parseSignatureFile(text, file)
}
