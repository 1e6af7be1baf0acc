// Peer addresses as the C++ peers print and take them: "unix:/path" or "host:port".
import { connectTcp, connectUnix, type MessageTransport } from '../../../src/transport/index.js'

export async function connectTo (address: string): Promise<MessageTransport> {
  if (address.startsWith('unix:')) return await connectUnix(address.slice('unix:'.length))
  const i = address.lastIndexOf(':')
  if (i < 0) throw new Error(`not an address: ${address}`)
  return await connectTcp(Number(address.slice(i + 1)), address.slice(0, i))
}
