// ww send / ww recv: talk through a channel stored at an anchor.
import { createInterface } from 'node:readline'
import { Command } from 'commander'
import { InvalidArgument, Timeout } from '../src/errors.js'
import { Value_Which } from '../src/schema/anchor.js'
import type { HostClient } from '../src/schema/host.rpc.js'
import { walk } from './anchor-path.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

/**
 * Sends in flight at once when reading messages from stdin (order is kept by the capability).
 * Between two nodes on loopback a window of 128 is where throughput stops growing
 * (bench/chan/remote.ts); the sender then keeps up to 128 unanswered calls.
 */
const SEND_WINDOW = 128

const channelKinds = new Set<number>([Value_Which.CHAN, Value_Which.SENDER, Value_Which.RECVER])

/** Loads the value at `path` (pipelined) and checks, once it arrives, that it is a channel end. */
function loadChannel (host: HostClient, path: string) {
  const at = walk(host, path)
  const loaded = at.anchor.load()
  const checked = loaded.then(r => {
    if (!channelKinds.has(r.value.which())) throw new InvalidArgument(`${path} holds no channel`)
  })
  checked.catch(() => {})
  return {
    value: loaded.pipeline.value,
    checked,
    release: () => { loaded.release(); at.release() }
  }
}

export function sendCommand (): Command {
  return new Command('send')
    .description('send MESSAGE to the channel stored at PATH; without MESSAGE, send each line of stdin')
    .argument('<path>', 'anchor path holding a channel or sender')
    .argument('[message]', 'the message (UTF-8)')
    .addOption(homeOption())
    .action(async (path: string, message: string | undefined, flags: { home?: string }) => {
      await withHost(flags.home, async host => {
        const ch = loadChannel(host, path)
        const sender = ch.value.sender
        const inFlight: Array<ReturnType<typeof sender.send>> = []
        const send = (text: string): void => {
          const bytes = new TextEncoder().encode(text)
          inFlight.push(sender.send(p => { p._initMsg()._initData(bytes.byteLength).copyBuffer(bytes) }))
        }
        const settleOldest = async (): Promise<void> => {
          const a = inFlight.shift()!
          try { await a.results } finally { a.release() } // a native promise: no thenable job per send
        }
        try {
          if (message !== undefined) {
            send(message)
          } else {
            for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
              send(line)
              if (inFlight.length >= SEND_WINDOW) await settleOldest()
            }
          }
          while (inFlight.length > 0) await settleOldest()
        } catch (err) {
          await ch.checked // a path holding no channel says so, rather than how a send on it failed
          throw err
        } finally {
          for (const a of inFlight) a.release()
          ch.release()
        }
      })
    })
}

export function recvCommand (): Command {
  return new Command('recv')
    .description('receive messages from the channel stored at PATH and print one per line')
    .argument('<path>', 'anchor path holding a channel or recver')
    .addOption(homeOption())
    .option('--count <n>', 'how many messages to receive', '1')
    .option('--timeout <seconds>', 'give up when a message takes longer than this')
    .action(async (path: string, flags: { home?: string, count: string, timeout?: string }) => {
      const count = Number(flags.count)
      if (!Number.isInteger(count) || count < 1) throw new InvalidArgument(`--count must be a positive integer, got ${flags.count}`)
      const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout)
      if (timeout !== undefined && !(timeout > 0)) throw new InvalidArgument(`--timeout must be a positive number of seconds, got ${flags.timeout}`)
      await withHost(flags.home, async host => {
        const ch = loadChannel(host, path)
        try {
          for (let i = 0; i < count; i++) {
            const signal = timeout === undefined ? undefined : AbortSignal.timeout(timeout * 1000)
            using got = ch.value.recver.recv(undefined, { signal })
            let msg
            try {
              msg = (await got).msg
            } catch (err) {
              if (signal?.aborted === true) throw new Timeout(`no message on ${path} within ${timeout} s`)
              await ch.checked
              throw err
            }
            process.stdout.write(Buffer.concat([msg.data.toUint8Array(), Buffer.from('\n')]))
          }
        } finally {
          ch.release()
        }
      })
    })
}
