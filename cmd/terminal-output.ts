/**
 * Bytes as `ww load` writes them: to a terminal, ending with a newline (added when they lack one,
 * so the prompt starts on its own line); to a pipe or file, exactly as stored.
 */
export function withNewline (bytes: Uint8Array, toTerminal: boolean): Uint8Array {
  if (!toTerminal || bytes.byteLength === 0 || bytes[bytes.byteLength - 1] === 0x0a) return bytes
  return Buffer.concat([bytes, Buffer.from('\n')])
}
