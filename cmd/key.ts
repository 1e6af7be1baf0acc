// `ww key swarm`: a new private cluster key (src/cluster/swarm-key.ts), printed or written to a file, mode 0600.
import { fchmodSync, fstatSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { newSwarmKeyText } from '../src/cluster/swarm-key.js'
import { AlreadyExists, NotFound, PermissionDenied } from '../src/errors.js'
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
  // Without a kind of key: say which there are, as a usage error.
  key.action(() => { throw new UsageError('which key? the one kind is swarm: ww key swarm') })
  return key
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
