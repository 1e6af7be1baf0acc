// ww ls PATH, mkchan, store, load, rm: the anchor tree from the command line.
import { Command } from 'commander'
import { InvalidArgument, NotFound } from '../src/errors.js'
import { Kind, Value_Which } from '../src/schema/anchor.js'
import { withAnchor } from './anchor-path.js'
import { homeOption } from './home-option.js'

const namesOf = (o: Record<string, number>): Map<number, string> => new Map(Object.entries(o).map(([k, v]) => [v, k.toLowerCase()]))
const kindNames = namesOf(Kind)
const valueNames = namesOf(Value_Which)
const kindName = (k: number): string => kindNames.get(k) ?? 'unknown'

export async function listAnchor (homeFlag: string | undefined, path: string, json: boolean): Promise<void> {
  await withAnchor(homeFlag, path, async anchor => {
    using ls = anchor.ls()
    const children = [...(await ls).children].map(c => ({ name: c.name, kind: kindName(c.kind), children: c.children }))
    if (json) {
      process.stdout.write(JSON.stringify(children) + '\n')
    } else {
      for (const c of children) process.stdout.write(`${c.name}\t${c.kind}${c.children > 0 ? `\t${c.children} children` : ''}\n`)
    }
  })
}

export function mkchanCommand (): Command {
  return new Command('mkchan')
    .description('make a channel on the host that owns PATH and store it there')
    .argument('<path>', 'anchor path, /<peer ID>/... (or /peer/... for the local host)')
    .addOption(homeOption())
    .option('--cap <n>', 'buffer capacity (0 = rendezvous)', '0')
    .option('--force', 'replace a value already stored at PATH')
    .action(async (path: string, flags: { home?: string, cap: string, force?: boolean }) => {
      const cap = Number(flags.cap)
      if (!Number.isInteger(cap) || cap < 0) throw new InvalidArgument(`--cap must be a non-negative integer, got ${flags.cap}`)
      await withAnchor(flags.home, path, async anchor => {
        using made = anchor.makeChan(p => { p.capacity = cap; p.overwrite = flags.force === true })
        await made
      })
    })
}

export function storeCommand (): Command {
  return new Command('store')
    .description('store bytes at PATH')
    .argument('<path>', 'anchor path')
    .addOption(homeOption())
    .requiredOption('--bytes <data>', 'the bytes to store (UTF-8)')
    .option('--force', 'replace a value already stored at PATH')
    .action(async (path: string, flags: { home?: string, bytes: string, force?: boolean }) => {
      const bytes = new TextEncoder().encode(flags.bytes)
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
    .description('print what PATH holds: its bytes, or the kind of capability')
    .argument('<path>', 'anchor path')
    .addOption(homeOption())
    .action(async (path: string, flags: { home?: string }) => {
      await withAnchor(flags.home, path, async anchor => {
        using loaded = anchor.load()
        const value = (await loaded).value
        if (value._isBytes) process.stdout.write(value.bytes.toUint8Array())
        else if (value._isEmpty) throw new NotFound(`${path} holds no value`)
        else process.stdout.write(`${valueNames.get(value.which()) ?? 'cap'}\n`)
      })
    })
}

export function rmCommand (): Command {
  return new Command('rm')
    .description('clear the value stored at PATH')
    .argument('<path>', 'anchor path')
    .addOption(homeOption())
    .action(async (path: string, flags: { home?: string }) => {
      await withAnchor(flags.home, path, async anchor => {
        using cleared = anchor.store(p => { p._initValue().empty = true; p.overwrite = true })
        await cleared
      })
    })
}
