// A deployment's desired state as a signed, versioned record: what every host keeps, gossips and places.
// The body is JSON (UTF-8), signed with its author host's Ed25519 key over a domain prefix and the namespace,
// so a record can be relayed by anyone and checked by everyone; a record of another namespace never verifies.
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgument, LimitExceeded } from '../../errors.js'
import { checkMetaPair } from '../meta.js'
import { deployLimits } from './limits.js'

/** What runs: the module, how it is started, and where and how many. */
export interface DeploymentSpec {
  /** SHA-256 of the module, hex. */
  module: string
  args: string[]
  env: string[]
  limits: { memoryBytes: number, fuel: number, timeoutMs: number }
  /** The anchor path the replicas see as "/" ('' = the cluster root). */
  root: string
  replicas: number
  /** `k=v` pairs a host's meta must all hold to run replicas. */
  where: string[]
  /** Spread the replicas evenly over the values of this meta key ('' = no spread). */
  spread: string
  /** One replica on every matching host (replicas is ignored). */
  perHost: boolean
}

export interface DeploymentRecord {
  name: string
  /** Newer wins; ties go to the greater author, then the greater signature. */
  version: number
  /** Peer ID of the host that signed it. */
  author: string
  issuedMs: number
  /** Undeployed: a tombstone, with no spec. */
  deleted: boolean
  spec?: DeploymentSpec
}

export interface SignedDeployment {
  record: DeploymentRecord
  /** The encoded form: 4-byte big-endian body length, the JSON body, the 64-byte signature. */
  bytes: Uint8Array
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const domain = (ns: string): Buffer => Buffer.from(`ww deployment v1\n${ns}\n`)

export function checkDeploymentName (name: string): string {
  if (name.length === 0 || name.length > deployLimits.maxNameLength || !namePattern.test(name)) {
    throw new InvalidArgument(`bad deployment name ${JSON.stringify(name)}: use 1-${deployLimits.maxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit`)
  }
  return name
}

export function checkReplicas (n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgument(`replicas must be a whole number 0 or more, got ${n}`)
  if (n > deployLimits.maxReplicas) throw new LimitExceeded(`${n} replicas is over the limit of ${deployLimits.maxReplicas} per deployment (maxReplicas)`)
  return n
}

/** Checks a spec's fields; throws InvalidArgument or LimitExceeded naming the first bad one. */
export function checkSpec (s: DeploymentSpec): DeploymentSpec {
  if (!/^[0-9a-f]{64}$/.test(s.module)) throw new InvalidArgument('a deployment\'s module is its SHA-256 in hex')
  checkReplicas(s.replicas)
  if (s.where.length > deployLimits.maxWhere) throw new LimitExceeded(`more than ${deployLimits.maxWhere} --where pairs`)
  s.where.forEach(checkMetaPair)
  if (s.args.length > deployLimits.maxArgs || s.env.length > deployLimits.maxArgs) throw new LimitExceeded(`more than ${deployLimits.maxArgs} arguments or environment entries`)
  for (const e of s.env) if (!e.includes('=')) throw new InvalidArgument(`environment entries are K=V, got ${JSON.stringify(e)}`)
  if (s.spread.includes('=')) throw new InvalidArgument(`--spread takes a meta key, not k=v: ${JSON.stringify(s.spread)}`)
  for (const n of [s.limits.memoryBytes, s.limits.fuel, s.limits.timeoutMs]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgument('limits are whole numbers, 0 for the default')
  }
  return s
}

/** Signs `record` (its author must be the key's peer) for namespace `ns`. */
export async function signDeployment (key: PrivateKey, ns: string, record: DeploymentRecord): Promise<SignedDeployment> {
  if (peerIdFromPrivateKey(key).toString() !== record.author) throw new InvalidArgument('a deployment record is signed by its author')
  const body = Buffer.from(JSON.stringify(record))
  const signature = await key.sign(Buffer.concat([domain(ns), body]))
  const bytes = new Uint8Array(4 + body.byteLength + signature.byteLength)
  new DataView(bytes.buffer).setUint32(0, body.byteLength, false)
  bytes.set(body, 4)
  bytes.set(signature, 4 + body.byteLength)
  if (bytes.byteLength > deployLimits.maxRecordBytes) throw new LimitExceeded(`deployment record of ${bytes.byteLength} bytes is over maxRecordBytes (${deployLimits.maxRecordBytes})`)
  return { record, bytes }
}

/** Decodes and verifies an encoded record of namespace `ns`; throws InvalidArgument when it is malformed or its signature does not verify. */
export async function verifyDeployment (ns: string, bytes: Uint8Array): Promise<SignedDeployment> {
  if (bytes.byteLength > deployLimits.maxRecordBytes) throw new LimitExceeded(`deployment record of ${bytes.byteLength} bytes is over maxRecordBytes`)
  if (bytes.byteLength < 4 + 64) throw new InvalidArgument('deployment record too short')
  const len = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false)
  if (4 + len + 64 !== bytes.byteLength) throw new InvalidArgument('deployment record length does not match')
  const body = bytes.subarray(4, 4 + len)
  const signature = bytes.subarray(4 + len)
  let record: DeploymentRecord
  try {
    record = readRecord(JSON.parse(Buffer.from(body).toString('utf8')))
  } catch (err) {
    throw new InvalidArgument(`malformed deployment record: ${(err as Error).message}`)
  }
  let ok = false
  try {
    const key = peerIdFromString(record.author).publicKey
    ok = key !== undefined && await key.verify(Buffer.concat([domain(ns), body]), signature)
  } catch { ok = false }
  if (!ok) throw new InvalidArgument(`deployment record ${JSON.stringify(record.name)} v${record.version}: signature does not verify for ${record.author}`)
  return { record, bytes: bytes.slice() }
}

/** True when `a` replaces `b` (newest version wins; ties: author, then the encoded bytes, so every host agrees). */
export function supersedes (a: SignedDeployment, b: SignedDeployment): boolean {
  if (a.record.version !== b.record.version) return a.record.version > b.record.version
  if (a.record.author !== b.record.author) return a.record.author > b.record.author
  return Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes)) > 0
}

function readRecord (o: any): DeploymentRecord {
  const str = (x: unknown, what: string): string => { if (typeof x !== 'string') throw new Error(`${what} is not text`); return x }
  const num = (x: unknown, what: string): number => { if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new Error(`${what} is not a whole number`); return x }
  const strs = (x: unknown, what: string): string[] => { if (!Array.isArray(x)) throw new Error(`${what} is not a list`); return x.map(v => str(v, what)) }
  const record: DeploymentRecord = {
    name: checkDeploymentName(str(o?.name, 'name')),
    version: num(o.version, 'version'),
    author: str(o.author, 'author'),
    issuedMs: num(o.issuedMs, 'issuedMs'),
    deleted: o.deleted === true
  }
  if (!record.deleted) {
    const s = o.spec
    const l = s?.limits
    record.spec = checkSpec({
      module: str(s?.module, 'module'),
      args: strs(s.args, 'args'),
      env: strs(s.env, 'env'),
      limits: { memoryBytes: num(l?.memoryBytes, 'memoryBytes'), fuel: num(l.fuel, 'fuel'), timeoutMs: num(l.timeoutMs, 'timeoutMs') },
      root: str(s.root, 'root'),
      replicas: num(s.replicas, 'replicas'),
      where: strs(s.where, 'where'),
      spread: str(s.spread, 'spread'),
      perHost: s.perHost === true
    })
  }
  return record
}
