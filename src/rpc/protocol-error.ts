import { InvalidArgument } from '../errors.js'

/** The peer broke the RPC protocol (an unknown id, a message that cannot be): the connection aborts. */
export class ProtocolError extends InvalidArgument {}
