// A WebSocket as a byte stream for Cap'n Proto: each binary WebSocket message carries one or more
// chunks of the standard stream framing (as a socket would), so what one side writes the other
// decodes with the same FrameDecoder. Browser-safe: it speaks to the WHATWG WebSocket interface,
// which the browser's WebSocket and the `ws` package's both have; nothing here imports node.
import type { MessageTransport } from './transport.js'
import { FramedTransport } from './framed-transport.js'
import { Disconnected, InvalidArgument, LimitExceeded } from '../errors.js'

/** The part of the WHATWG WebSocket interface this transport uses. */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  /** Bytes sent but not yet handed to the network. */
  readonly bufferedAmount: number
  send: (data: Uint8Array) => void
  close: (code?: number, reason?: string) => void
  addEventListener: (type: 'message' | 'close' | 'error', listener: (event: any) => void) => void
}

/** readyState of an open WebSocket. */
const OPEN = 1
/** Close code of an orderly close (RFC 6455 7.4.1). */
const NORMAL_CLOSURE = 1000
/** Close code for a message this end cannot take (here: a text message). */
const UNSUPPORTED_DATA = 1003
/** Close code for an end that broke a rule of this one (here: it read too slowly). */
const POLICY_VIOLATION = 1008

export interface WebSocketTransportOptions {
  /**
   * Most bytes that may wait in the socket to be sent: a write that finds more waiting closes the WebSocket with code
   * 1008 and `slowReason` instead (the other end reads too slowly). One write may go past it by its own size.
   * Default: no bound.
   */
  maxBufferedBytes?: number
  /** The close reason sent then (at most 123 bytes), and the transport's error. */
  slowReason?: string
}

class WebSocketTransport extends FramedTransport {
  private early: Uint8Array[] = []
  private earlyEnd?: Error

  constructor (private readonly socket: WebSocketLike, private readonly options: WebSocketTransportOptions = {}) {
    super()
    socket.binaryType = 'arraybuffer'
    socket.addEventListener('message', (event: { data: unknown }) => { this.received(event.data) })
    socket.addEventListener('close', (event: { code?: number, reason?: string }) => {
      const why = event.reason !== undefined && event.reason !== '' ? `: ${event.reason}` : ''
      this.ended(new Disconnected(`the WebSocket closed (code ${event.code ?? 'unknown'}${why})`))
    })
    socket.addEventListener('error', () => { this.ended(new Disconnected('the WebSocket failed')) })
  }

  protected started (): void {
    for (const c of this.early.splice(0)) this.decode(c)
    if (this.earlyEnd !== undefined) this.finish(this.earlyEnd)
  }

  private received (data: unknown): void {
    if (this.done) return
    if (!(data instanceof ArrayBuffer)) {
      this.fail(new InvalidArgument('a text message on a Cap\'n Proto WebSocket (only binary messages carry frames)'))
      return
    }
    const chunk = new Uint8Array(data)
    if (this.handler === undefined) this.early.push(chunk)
    else this.decode(chunk)
  }

  /** The socket closed or failed: ends the transport (before start, once it starts). */
  private ended (err: Error): void {
    if (this.done) return
    if (this.handler === undefined) { this.earlyEnd ??= err; return }
    this.finish(err)
  }

  close (err?: Error): void {
    if (this.done) return
    this.writer.flush()
    this.finish(err)
    if (this.socket.readyState === OPEN) this.socket.close(NORMAL_CLOSURE)
  }

  protected write (chunk: Uint8Array): void {
    if (this.done || this.socket.readyState !== OPEN) return
    const max = this.options.maxBufferedBytes
    if (max !== undefined && this.socket.bufferedAmount > max) {
      // What waits is sent still, then the close with its reason; nothing more is added.
      const reason = this.options.slowReason ?? `the other end reads too slowly: over ${max} bytes wait to be sent`
      this.finish(new LimitExceeded(reason))
      this.socket.close(POLICY_VIOLATION, reason)
      return
    }
    this.socket.send(chunk)
  }

  protected fail (err: Error): void {
    if (this.done) return
    this.finish(err)
    this.socket.close(err instanceof InvalidArgument ? UNSUPPORTED_DATA : NORMAL_CLOSURE, 'bad Cap\'n Proto framing')
  }
}

/** A transport over an open WebSocket (the browser's, or a `ws` WebSocket on node). */
export function websocketTransport (socket: WebSocketLike, options?: WebSocketTransportOptions): MessageTransport {
  return new WebSocketTransport(socket, options)
}
