// ww send --endpoint NAME: each message to one live endpoint of NAME, picked by the node (Endpoints.send).
import { checkEndpointName } from '../src/cluster/endpoint-names.js'
import { DEFAULT_CHAN_LIMITS } from '../src/csp/limits.js'
import { InvalidArgument, Timeout } from '../src/errors.js'
import { Pick } from '../src/schema/endpoints.js'
import { boundedLines } from './bounded-input.js'
import { withHost } from './client.js'

const maxBytes = DEFAULT_CHAN_LIMITS.maxMessageBytes

export async function sendToEndpoint (name: string, message: string | undefined, flags: { home?: string, timeout?: string, pick: 'round-robin' | 'random' }): Promise<void> {
  checkEndpointName(name)
  const seconds = flags.timeout === undefined ? undefined : Number(flags.timeout)
  if (seconds !== undefined && !(seconds > 0 && Number.isFinite(seconds))) throw new InvalidArgument(`--timeout must be a positive number of seconds, got ${flags.timeout}`)
  const single = message === undefined ? undefined : Buffer.from(message, 'utf8')
  if (single !== undefined && single.byteLength > maxBytes) throw new InvalidArgument(`MESSAGE is ${single.byteLength} bytes, over the message limit of ${maxBytes} bytes (maxMessageBytes)`)
  const pick = flags.pick === 'random' ? Pick.RANDOM : Pick.ROUND_ROBIN
  await withHost(flags.home, async host => {
    using ep = host.endpoints(undefined, { onlyPipeline: true })
    const endpoints = ep.pipeline.endpoints
    const send = async (data: Uint8Array): Promise<void> => {
      const signal = seconds === undefined ? undefined : AbortSignal.timeout(seconds * 1000)
      try {
        using ans = endpoints.send(p => {
          p.name = name
          p.pick = pick
          if (data.byteLength > 0) p._initMsg()._initData(data.byteLength).copyBuffer(data)
          else p._initMsg()
        }, { signal })
        await ans
      } catch (err) {
        if (signal?.aborted === true) throw new Timeout(`a message to endpoint ${name} was not taken within ${seconds} s: its channel is full and nobody receives`)
        throw err
      }
    }
    if (single !== undefined) return await send(single)
    const tooLong = (n: number): Error => new InvalidArgument(`line ${n} of stdin is over the message limit of ${maxBytes} bytes (maxMessageBytes)`)
    for await (const line of boundedLines(process.stdin, maxBytes, tooLong)) await send(line)
  })
}
