// Protocol paths each scenario must take on the wire (seen from the TypeScript side), so that a
// scenario passing by another route (say, no tail call, no embargo) does not count.
import assert from 'node:assert/strict'
import type { ScenarioName } from './scenarios.js'

/** TypeScript client talking to the C++ server. */
export const tsClientOfCpp: Partial<Record<ScenarioName, string[]>> = {
  'cap-in-params': ['out cap:senderHosted', 'in call'],
  'cap-in-results': ['in cap:senderHosted'],
  'cap-in-struct-fields': ['in cap:senderHosted', 'out cap:senderHosted', 'out cap:receiverHosted'],
  callback: ['in call', 'in release'],
  'tail-call': ['in call:yourself', 'in return:takeFromOtherQuestion', 'out return:resultsSentElsewhere', 'out cap:receiverAnswer'],
  'echo-own': ['in call:yourself', 'in return:takeFromOtherQuestion', 'out return:resultsSentElsewhere',
    'out disembargo:senderLoopback', 'in disembargo:receiverLoopback', 'in cap:receiverHosted'],
  'promise-resolve': ['in cap:senderPromise', 'in resolve:cap', 'out release'],
  'promise-broken': ['in cap:senderPromise', 'in resolve:exception'],
  'later-echo': ['in cap:senderPromise', 'in resolve:cap', 'out disembargo:senderLoopback', 'in disembargo:receiverLoopback'],
  release: ['out release'],
  bulk: ['in segments>1'],
  'release-reverse': ['in release'],
  exceptions: ['in return:exception', 'out return:exception'],
  cancel: ['out finish', 'in return:canceled']
}

/** TypeScript client talking to the TypeScript server: the same paths, except that capnp-es
 * writes even a 3 MiB result as one segment. */
export const tsClientOfTs: Partial<Record<ScenarioName, string[]>> = { ...tsClientOfCpp, bulk: [] }

/** TypeScript server serving the C++ client. */
export const tsServerOfCpp: Partial<Record<ScenarioName, string[]>> = {
  'cap-in-params': ['in cap:senderHosted', 'out call'],
  'cap-in-results': ['out cap:senderHosted'],
  'cap-in-struct-fields': ['out cap:senderHosted', 'in cap:senderHosted', 'in cap:receiverHosted'],
  callback: ['out call', 'out release'],
  'tail-call': ['in cap:receiverAnswer', 'out call:yourself', 'out return:takeFromOtherQuestion', 'in return:resultsSentElsewhere'],
  'echo-own': ['in disembargo:senderLoopback', 'out disembargo:receiverLoopback'],
  'promise-resolve': ['out cap:senderPromise', 'out resolve:cap', 'in release'],
  'promise-broken': ['out cap:senderPromise', 'out resolve:exception'],
  'later-echo': ['out cap:senderPromise', 'out resolve:cap', 'in disembargo:senderLoopback', 'out disembargo:receiverLoopback'],
  release: ['in release'],
  'release-reverse': ['out release'],
  exceptions: ['out return:exception', 'in return:exception'],
  cancel: ['in finish', 'out return:canceled']
}

/** The client sent `n` calls before the first Return came back (one round trip for all of them). */
export function checkPipelined (events: string[], n: number): void {
  const firstReturn = events.findIndex((e) => e.startsWith('in return'))
  const callsBefore = events.slice(0, firstReturn === -1 ? events.length : firstReturn).filter((e) => e === 'out call').length
  assert.ok(callsBefore >= n, `only ${callsBefore} calls were sent before the first Return (want ${n})`)
}

/** Every expected event occurred; the peer never aborted, never answered Unimplemented, every message decoded. */
export function checkWire (events: string[], expected: string[] = []): void {
  const seen = new Set(events)
  for (const e of expected) assert.ok(seen.has(e), `expected "${e}" on the wire; saw: ${[...seen].join(', ')}`)
  const bad = events.filter((e) => e.startsWith('in abort') || e.includes('unimplemented') || e.includes('undecodable'))
  assert.deepEqual(bad, [], 'protocol failures on the wire')
}
