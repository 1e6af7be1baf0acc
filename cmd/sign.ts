// ww sign: a detached signature of a module (src/proc/module-signature.ts), written next to it as FILE.wasm.sig.
import { writeFileSync } from 'node:fs'
import { Command } from 'commander'
import { createHash } from 'node:crypto'
import { signModule, withSignature, formatSignatureFile, SIGNED_PREFIX } from '../src/proc/module-signature.js'
import { readSignerKeyFile } from './key.js'
import { readModule, readSignatures, signatureFileOf } from './module-file.js'

export function signCommand (): Command {
  return new Command('sign')
    .summary('sign a WASM module (for hosts that run only modules signed by keys they allow)')
    .description('sign a WASM module with a signer key (ww key signer): writes FILE.sig next to it (or --out), which ww run sends ' +
      'with the module. A line of it is "ed25519:<public key hex> <signature hex>": an Ed25519 signature over ' +
      `${JSON.stringify(SIGNED_PREFIX).replace(/"/g, '\'')} followed by the module's 32-byte SHA-256. A signature file may hold several signers' ` +
      'lines; signing again with the same key replaces its line')
    .argument('<file>', 'the .wasm module')
    .requiredOption('-k, --key <keyfile>', 'the signer\'s private key file (ww key signer --out KEYFILE)')
    .option('-o, --out <sigfile>', 'write the signatures here (default: FILE.sig)')
    .action((file: string, flags: { key: string, out?: string }) => {
      const key = readSignerKeyFile(flags.key)
      const bytes = readModule(file, 'ww sign')
      const hash = createHash('sha256').update(bytes).digest()
      const out = flags.out ?? signatureFileOf(file)
      const sigs = withSignature(readSignatures(out, true), signModule(hash, key))
      writeFileSync(out, formatSignatureFile(sigs))
    })
}
