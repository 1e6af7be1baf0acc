// Why the node could not listen, as one line a user can act on (libp2p's own message is eight lines of advice
// about one of its settings). The TCP transport is wrapped to keep each listen address's error as it came.
import type { Transport } from '@libp2p/interface'
import { InvalidArgument, PermissionDenied, Unavailable, type WwError } from '../errors.js'

/** `factory`, whose listeners put the error of a failed listen into `failures`, by listen address. */
export function recordingListenFailures<C> (factory: (components: C) => Transport, failures: Map<string, Error>): (components: C) => Transport {
  return (components) => {
    const transport = factory(components)
    const createListener = transport.createListener.bind(transport)
    transport.createListener = (options) => {
      const listener = createListener(options)
      const listen = listener.listen.bind(listener)
      listener.listen = async (addr) => {
        try {
          await listen(addr)
        } catch (err) {
          failures.set(addr.toString(), err as Error)
          throw err
        }
      }
      return listener
    }
    return transport
  }
}

/** The typed error for a failed start of libp2p, given the listen failures recorded. */
export function listenFailure (err: unknown, failures: Map<string, Error>, listen: readonly string[]): WwError | undefined {
  const first = failures.entries().next().value
  if (first !== undefined) {
    const [addr, cause] = first
    const at = `cannot listen on ${addr}`
    switch ((cause as NodeJS.ErrnoException).code) {
      case 'EADDRINUSE': return new Unavailable(`${at}: address already in use; pick another port or stop what holds it`)
      case 'EADDRNOTAVAIL': return new Unavailable(`${at}: this machine has no such address; use one of its addresses, or 0.0.0.0`)
      case 'EACCES': return new PermissionDenied(`${at}: permission denied; ports below 1024 need root, pick a higher one`)
      default: return new Unavailable(`${at}: ${cause.message.split('\n')[0]}`)
    }
  }
  if ((err as Error)?.name === 'UnsupportedListenAddressesError') {
    return new InvalidArgument(`cannot listen on ${listen.join(' ')}: use a TCP address such as /ip4/0.0.0.0/tcp/4001`)
  }
  return undefined
}
