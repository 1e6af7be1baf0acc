// ww send / ww recv: talk through a channel stored at an anchor.
import { Command, Option } from 'commander'
import { DEFAULT_CHAN_LIMITS } from '../src/csp/limits.js'
import { hostLimits } from '../src/host/limits.js'
import { InvalidArgument, Timeout } from '../src/errors.js'
import { Value_Which } from '../src/schema/anchor.js'
import type { HostClient } from '../src/schema/host.rpc.js'
import { inUserTerms, lookup } from './anchor-path.js'
import { boundedLines } from './bounded-input.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'
import { SendWindow } from './send-window.js'
import { sendToEndpoint } from './endpoint-send.js'

/**
 * Sends in flight at once when reading messages from stdin (order is kept by the capability).
 * Between two nodes on loopback a window of 128 is where throughput stops growing
 * (bench/chan/remote.ts); the sender then keeps up to 128 unanswered calls, and at most
 * SEND_WINDOW_BYTES of messages in them, so large messages do not pile up in the client.
 */
const SEND_WINDOW = 128
const SEND_WINDOW_BYTES = 8 << 20

/** The largest message a channel takes (its data, in bytes): the channel servers' maxMessageBytes. */
export const MAX_MESSAGE_BYTES = DEFAULT_CHAN_LIMITS.maxMessageBytes
const messageLimit = `the message limit of ${MAX_MESSAGE_BYTES} bytes (maxMessageBytes)`

const channelKinds = new Set<number>([Value_Which.CHAN, Value_Which.SENDER, Value_Which.RECVER])

/** Loads the value at `path` (pipelined) and checks, once it arrives, that it is a channel end. */
function loadChannel (host: HostClient, path: string) {
  const at = lookup(host, path)
  const loaded = at.anchor.load()
  const checked = loaded.then(r => {
    if (!channelKinds.has(r.value.which())) throw new InvalidArgument(`${path} holds no channel`)
  }, err => { throw inUserTerms(err, path) })
  checked.catch(() => {})
  return {
    value: loaded.pipeline.value,
    checked,
    release: () => { loaded.release(); at.release() }
  }
}

/** Seconds from --timeout, or undefined without it. */
function timeoutOf (flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined
  const seconds = Number(flag)
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new InvalidArgument(`--timeout must be a positive number of seconds, got ${flag}`)
  return seconds
}

export function sendCommand (): Command {
  return new Command('send')
    .summary('send messages to the channel at PATH, or to a named endpoint')
    .description(`send MESSAGE to the channel stored at PATH; without MESSAGE, send each line of stdin (without its newline). A message is at most ${MAX_MESSAGE_BYTES} bytes (maxMessageBytes, 1 MiB); a longer MESSAGE or line fails, naming it, after the lines before it are sent. ` +
      'With --endpoint NAME (and no PATH: "ww send --endpoint NAME [MESSAGE]"), each message goes to one live endpoint of NAME anywhere in the cluster (see ww endpoints), picked by --pick; ' +
      'an endpoint whose host went away is skipped for the next; no live endpoint is an error (exit 3). ' +
      `The node remembers the endpoints of a name for ${hostLimits.endpointSendCacheMs / 1000} s between sends (endpointSendCacheMs) while the hosts serving it stay the same, so a new endpoint on a host that already served the name takes up to that long to be picked`)
    .argument('[path]', 'anchor path holding a channel or sender (none with --endpoint)')
    .argument('[message]', 'the message (UTF-8)')
    .addOption(homeOption())
    .option('--endpoint <name>', 'send to a named endpoint instead of PATH')
    .addOption(new Option('--pick <rule>', 'with --endpoint: which endpoint takes each message; round-robin goes through them in (peer, id) order, counted by the node, so successive commands spread too').choices(['round-robin', 'random']).default('round-robin'))
    .option('--timeout <seconds>', 'give up when a message waits longer than this to be taken (the channel is full and nobody receives)')
    .action(async (pathArg: string | undefined, messageArg: string | undefined, flags: { home?: string, timeout?: string, endpoint?: string, pick: 'round-robin' | 'random' }) => {
      if (flags.endpoint !== undefined) {
        if (messageArg !== undefined) throw new InvalidArgument('with --endpoint, give only MESSAGE, no PATH')
        await sendToEndpoint(flags.endpoint, pathArg, flags)
        return
      }
      if (pathArg === undefined) throw new InvalidArgument('missing PATH: "ww send PATH [MESSAGE]" or "ww send --endpoint NAME [MESSAGE]"')
      const path = pathArg
      const message = messageArg
      const timeout = timeoutOf(flags.timeout)
      const single = message === undefined ? undefined : Buffer.from(message, 'utf8')
      if (single !== undefined && single.byteLength > MAX_MESSAGE_BYTES) {
        throw new InvalidArgument(`MESSAGE is ${single.byteLength} bytes, over ${messageLimit}`)
      }
      await withHost(flags.home, async host => {
        const ch = loadChannel(host, path)
        const window = new SendWindow(ch.value.sender, {
          maxCalls: SEND_WINDOW,
          maxBytes: SEND_WINDOW_BYTES,
          timeoutMs: timeout === undefined ? undefined : timeout * 1000,
          timedOut: () => new Timeout(`a message to ${path} was not taken within ${timeout} s: the channel is full and nobody receives`),
          // Reading stdin, a stall also ends a wait for the next line.
          onStall: single === undefined ? err => { process.stdin.destroy(err) } : undefined
        })
        try {
          if (single !== undefined) {
            await window.send(single)
          } else {
            let tooLong: Error | undefined
            const lineTooLong = (n: number): Error => (tooLong = new InvalidArgument(`line ${n} of stdin is over ${messageLimit}`))
            try {
              for await (const line of boundedLines(process.stdin, MAX_MESSAGE_BYTES, lineTooLong)) await window.send(line)
            } catch (err) {
              if (err === tooLong) await window.drain() // the lines before it are sent
              throw err
            }
          }
          await window.drain()
        } catch (err) {
          // A path holding no channel says so, rather than how a send on it failed (a timeout
          // stands: the load may be what never came back).
          if (!(err instanceof Timeout)) await ch.checked
          throw err
        } finally {
          window.release()
          ch.release()
        }
      })
    })
}

export function recvCommand (): Command {
  return new Command('recv')
    .summary('receive messages from the channel at PATH')
    .description('receive messages from the channel stored at PATH and print one per line')
    .argument('<path>', 'anchor path holding a channel or recver')
    .addOption(homeOption())
    .option('--count <n>', 'how many messages to receive', '1')
    .option('--timeout <seconds>', 'give up when a message takes longer than this')
    .action(async (path: string, flags: { home?: string, count: string, timeout?: string }) => {
      const count = Number(flags.count)
      if (!Number.isInteger(count) || count < 1) throw new InvalidArgument(`--count must be a positive integer, got ${flags.count}`)
      const timeout = timeoutOf(flags.timeout)
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
