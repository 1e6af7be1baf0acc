// ww ls PATH, mkchan, store, load, rm: the anchor tree from the command line.
import { Command } from 'commander'
import { DEFAULT_ANCHOR_LIMITS } from '../src/anchor/limits.js'
import { DEFAULT_CHAN_LIMITS } from '../src/csp/limits.js'
import { InvalidArgument, NotFound } from '../src/errors.js'
import { Value_Which } from '../src/schema/anchor.js'
import { withAnchor, withExistingAnchor } from './anchor-path.js'
import { homeOption } from './home-option.js'
import { kindName } from './kind-names.js'
import { valueFromInput } from './value-source.js'
import { withNewline } from './terminal-output.js'

const valueNames = new Map(Object.entries(Value_Which).map(([k, v]) => [v as number, k.toLowerCase()]))

export async function listAnchor (homeFlag: string | undefined, path: string, json: boolean): Promise<void> {
  await withExistingAnchor(homeFlag, path, async anchor => {
    using ls = anchor.ls()
    const children = [...(await ls).children].map(c => ({ name: c.name, kind: kindName(c.kind), children: c.children }))
    if (json) {
      process.stdout.write(JSON.stringify(children) + '\n')
    } else {
      for (const c of children) process.stdout.write(`${c.name}\t${c.kind}${c.children > 0 ? `\t${c.children} children` : ''}\n`)
    }
  })
}

const MAX_CAPACITY = DEFAULT_CHAN_LIMITS.maxCapacity

export function mkchanCommand (): Command {
  return new Command('mkchan')
    .summary('make a channel and store it at PATH')
    .description('make a channel on the host that owns PATH and store it there')
    .argument('<path>', 'anchor path, /<peer ID>/... (or /peer/... for the local host)')
    .addOption(homeOption())
    .option('--cap <n>', `buffer capacity, 0 (rendezvous) to ${MAX_CAPACITY} (maxCapacity)`, '0')
    .option('--force', 'replace a value already stored at PATH')
    .action(async (path: string, flags: { home?: string, cap: string, force?: boolean }) => {
      const cap = /^[0-9]+$/.test(flags.cap) ? Number(flags.cap) : NaN
      if (!(cap <= MAX_CAPACITY)) throw new InvalidArgument(`--cap must be an integer from 0 to ${MAX_CAPACITY} (maxCapacity), got ${flags.cap}`)
      await withAnchor(flags.home, path, async anchor => {
        using made = anchor.makeChan(p => { p.capacity = cap; p.overwrite = flags.force === true })
        await made
      })
    })
}

const MAX_VALUE_BYTES = DEFAULT_ANCHOR_LIMITS.maxValueBytes

export function storeCommand (): Command {
  return new Command('store')
    .summary('store bytes at PATH (from --bytes, --file or stdin)')
    .description(`store bytes at PATH: from --bytes, --file, or else stdin (echo hi | ww store PATH); at most ${MAX_VALUE_BYTES} bytes (maxValueBytes, 1 MiB)`)
    .argument('<path>', 'anchor path')
    .addOption(homeOption())
    .option('--bytes <data>', 'the bytes to store (UTF-8)')
    .option('--file <file>', 'store the contents of FILE')
    .option('--force', 'replace a value already stored at PATH')
    .action(async (path: string, flags: { home?: string, bytes?: string, file?: string, force?: boolean }) => {
      const bytes = await valueFromInput(flags, MAX_VALUE_BYTES)
      await withAnchor(flags.home, path, async anchor => {
        using stored = anchor.store(p => {
          p._initValue()._initBytes(bytes.byteLength).copyBuffer(bytes)
          p.overwrite = flags.force === true
        })
        await stored
      })
    })
}

export function loadCommand (): Command {
  return new Command('load')
    .summary('print what PATH holds')
    .description('print what PATH holds: its bytes (with a newline added on a terminal when they lack one), or the kind of capability')
    .argument('<path>', 'anchor path')
    .addOption(homeOption())
    .action(async (path: string, flags: { home?: string }) => {
      await withExistingAnchor(flags.home, path, async anchor => {
        using loaded = anchor.load()
        const value = (await loaded).value
        if (value._isBytes) process.stdout.write(withNewline(value.bytes.toUint8Array(), process.stdout.isTTY))
        else if (value._isEmpty) throw new NotFound(`${path} holds no value`)
        else process.stdout.write(`${valueNames.get(value.which()) ?? 'cap'}\n`)
      })
    })
}

export function rmCommand (): Command {
  return new Command('rm')
    .summary('clear the value at PATH')
    .description('clear the value stored at PATH (an anchor holding nothing is an error)')
    .argument('<path>', 'anchor path')
    .addOption(homeOption())
    .action(async (path: string, flags: { home?: string }) => {
      await withExistingAnchor(flags.home, path, async anchor => {
        using cleared = anchor.clear()
        await cleared
      })
    })
}
