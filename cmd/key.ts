// `ww key swarm`: a new private cluster key (src/cluster/swarm-key.ts), printed or written to a file, mode 0600.
// `ww key signer`: a new Ed25519 key for signing modules (ww sign), written to a file, mode 0600; prints its public key.
import { fchmodSync, fstatSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { newSwarmKeyText } from '../src/cluster/swarm-key.js'
import { AlreadyExists, NotFound, PermissionDenied } from '../src/errors.js'
import { formatSigner, newSignerKey, publicKeyOf, readSignerKey } from '../src/proc/module-signature.js'
import { UsageError } from './exit-codes.js'

const afterHelp = `
The key is the kubo/go-libp2p swarm key format (/key/swarm/psk/1.0.0/, /base16/, 64 hex characters), so one
file works for ww, kubo and go-libp2p nodes. Give every node of the cluster the same file: 'ww start' uses
<home>/swarm.key when present, or --swarm-key FILE. Nodes without it, or with another key, cannot connect.
Printed to a file ('ww key swarm > FILE'), the file is made mode 0600 too. Keep it secret: anyone holding it can join.`

export function keyCommand (): Command {
  const key = new Command('key').summary('make keys').description('make keys')
  key.addCommand(new Command('swarm')
    .summary('print a new swarm key (a private cluster\'s pre-shared key)')
    .description('print a new swarm key: nodes started with it (ww start --swarm-key FILE, or <home>/swarm.key) form a private cluster')
    .option('-o, --out <file>', 'write it to FILE (mode 0600) instead; refuses to overwrite a file')
    .addHelpText('after', afterHelp)
    .action((flags: { out?: string }) => {
      const text = newSwarmKeyText()
      if (flags.out !== undefined) writeNewKey(resolve(flags.out), text)
      else printKey(text)
    }))
  key.addCommand(new Command('signer')
    .summary('make a key for signing modules (ww sign) and print its public key')
    .description('make an Ed25519 key pair for signing modules: the private key goes to FILE (PKCS#8 PEM, mode 0600); ' +
      'the public key, printed as ed25519:<hex>, is what a host\'s policy allows (allow-signers, ww start --allow-signer)')
    .requiredOption('-o, --out <file>', 'write the private key to FILE (mode 0600); refuses to overwrite a file')
    .action((flags: { out: string }) => {
      const key = newSignerKey()
      writeNewKey(resolve(flags.out), key.pem)
      process.stdout.write(formatSigner(key.publicKey) + '\n')
    }))
  key.addCommand(new Command('public')
    .summary('print the public key of a signer key file')
    .description('print the public key (ed25519:<hex>, as policies take it) of a signer key file made by \'ww key signer\' (or openssl genpkey -algorithm ed25519)')
    .argument('<keyfile>', 'the private key file')
    .action((file: string) => {
      process.stdout.write(formatSigner(publicKeyOf(readSignerKeyFile(file))) + '\n')
    }))
  // Without a kind of key: say which there are, as a usage error.
  key.action(() => { throw new UsageError('which key? the kinds are swarm (ww key swarm) and signer (ww key signer --out FILE)') })
  return key
}

/** The signer key in `file`; NotFound, PermissionDenied or InvalidArgument as one line naming it. */
export function readSignerKeyFile (file: string): ReturnType<typeof readSignerKey> {
  let pem: string
  try {
    pem = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NotFound(`no key file ${file}: make one with 'ww key signer --out ${file}'`)
    if (code === 'EACCES' || code === 'EPERM') throw new PermissionDenied(`cannot read key file ${file}: permission denied`)
    throw new NotFound(`cannot read key file ${file}: ${code ?? String(err)}`)
  }
  return readSignerKey(pem, file)
}

function writeNewKey (file: string, text: string): void {
  try {
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new AlreadyExists(`${file} already exists: not overwriting it (a key in use would be lost); remove it first or choose another file`)
    if (code === 'ENOENT') throw new NotFound(`cannot write ${file}: its directory does not exist`)
    if (code === 'EACCES' || code === 'EPERM') throw new PermissionDenied(`cannot write ${file}: permission denied`)
    throw err
  }
}

/** To stdout; when that is a file (a shell redirect), only its owner may read it. */
function printKey (text: string): void {
  try {
    if (fstatSync(1).isFile()) fchmodSync(1, 0o600)
  } catch { /* not ours to change (another user's file): the key is still printed */ }
  process.stdout.write(text)
}
