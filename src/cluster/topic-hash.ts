// The short hash of a pubsub topic a host advertises in its record (Heartbeat.topics): peers compare hashes, so a
// record tells which topics two hosts share without naming them.
import { createHash } from 'node:crypto'
import { clusterLimits } from './limits.js'

/** The first topicHashBytes bytes of the SHA-256 of `wireTopic` (the namespaced gossipsub topic), in hex. */
export function topicHash (wireTopic: string): string {
  return createHash('sha256').update(wireTopic).digest().subarray(0, clusterLimits.topicHashBytes).toString('hex')
}

/** The hashes a record lists: sorted, at most maxAdvertisedTopics (the rest are not advertised). */
export function advertisedTopicHashes (wireTopics: Iterable<string>): string[] {
  return [...new Set([...wireTopics].map(topicHash))].sort().slice(0, clusterLimits.maxAdvertisedTopics)
}
