// Every limit and default of the host layer and of the commands that run a node, in one place.

import { capsLimits } from '../caps/limits.js'

export const hostLimits = {
  /** What a capability server takes in one request (src/caps/limits.ts), named here too for the commands. */
  ...capsLimits,
  /**
   * A stop that has not finished after this long ends the process anyway (clients holding the API socket, a
   * libp2p connection that will not close): a node stops within 2 s of SIGTERM or `ww stop`, whatever its peers do.
   */
  stopDeadlineMs: 1_500,
  /** At a stop, an API client gets this long to read the node's goodbye and hang up before its socket is destroyed. */
  apiCloseGraceMs: 200,
  /** At a stop, procs get this long to end before the node leaves the cluster without waiting for them. */
  procsCloseMs: 500,
  /** `ww connect` gives up dialing after this long. */
  connectTimeoutMs: 10_000,
  /** `ww stop` waits this long for the node's process to end. */
  stopWaitMs: 10_000,
  /** `ww start --detach` waits this long for the node's API socket to answer. */
  detachReadyMs: 60_000,
  /** `ww start --detach --bootstrap ...` then waits this long for the node to list another host (else it warns). */
  detachJoinMs: 15_000,
  /**
   * New modules (neither held nor prepared here) one remote peer, itself or through its procs, may make this host
   * fetch and prepare per minute (a token bucket of this size; preparing costs seconds of CPU). The owner is exempt.
   */
  modulePreparationsPerMinute: 20,
  /** Most log lines per minute about module bytes that did not match their hash (the rest are counted into the next). */
  moduleMismatchLinesPerMinute: 10,
  /**
   * Most connections the API socket holds at once; one more is closed as it arrives. No idle timeout: a `ww recv`
   * or `ww logs -f` waits legitimately, and the socket is the owner's (0600); a frame begun and not finished is
   * timed out by the RPC layer (frameTimeoutMs).
   */
  apiConnectionsMax: 512,
  /** Most WebSocket connections the web console (ww start --ui) holds at once; one more is refused at the upgrade. */
  uiConnectionsMax: 64,
  /**
   * Largest WebSocket message the console takes (one or more Cap'n Proto frames the page wrote in one go; a frame
   * is at most maxMessageBytes, 64 MiB); a larger one ends that connection.
   */
  uiWebSocketMessageBytes: 128 << 20,
  /**
   * Most bytes the node lets wait to be sent to one console page; a page that reads more slowly than the node writes
   * (past this, one message more at most) is disconnected with a close reason saying so, and the page tells its user
   * to reload. Bounds what a slow or stalled browser makes the node hold.
   */
  uiBufferedBytesMax: 16 << 20,
  /** Random bytes of the console's per-start token (shown as hex in its URL). */
  uiTokenBytes: 32,
  /**
   * Endpoints (endpoint-registry.ts; the names per host and their length are clusterLimits.maxEndpointNames and
   * maxEndpointNameBytes, since they ride in the signed record): endpoints one host keeps under one name.
   */
  maxEndpointsPerName: 1_024,
  /** A lookup waits this long for each host that lists the name; one that has not answered is left out. */
  endpointListTimeoutMs: 5_000,
  /**
   * A send to a name remembers the endpoints it picked from this long, while the hosts serving the name and this
   * host's own endpoints stay the same (a send then costs one call instead of a lookup and a call): a new endpoint
   * on a host that already served the name is picked within this; one that ended fails Closed and is skipped.
   */
  endpointSendCacheMs: 1_000,
  /**
   * A name whose last endpoint here ended stays in this host's record this long (a new name goes in at once): a
   * proc restarting under its name costs no new record and no gossip each time. Lookups meanwhile find nothing here.
   */
  endpointNameLingerMs: 2_000,
  /** A deployment's replica that ended (or could not start) is started again after this delay, doubled at each end in a row... */
  deployRestartMinMs: 1_000,
  /** ...up to this one. */
  deployRestartMaxMs: 30_000,
  /** A replica that ran this long before it ended is restarted after deployRestartMinMs again. */
  deployRestartResetMs: 10_000,
  /** A starting node waits this long (to hear of the other hosts) before it starts replicas, so a restart moves none needlessly. */
  deployStartDelayMs: 2_000,
  /** Every host compares its replicas with the placement this often, besides whenever records or hosts change. */
  deployReconcileMs: 5_000
} as const
