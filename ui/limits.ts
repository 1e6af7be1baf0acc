// The console page's own limits and intervals, in one place.
export const uiLimits = {
  /** Procs have no watch call in the schema: each live host's `ps` is asked again this long after the last answer... */
  procPollMs: 2_000,
  /**
   * ...or this many times as long as the last round of asking took, when that is longer: a host with 10,000 procs
   * spends about a second writing its ps, so the page keeps its share of the node's CPU near 1/(1+this).
   */
  procPollCostFactor: 4,
  /** The anchor shown is listed again this often (anchors have no watch call either). */
  anchorPollMs: 2_000,
  /** Host liveness ("last seen") is redrawn this often; joins and leaves arrive at once through View.watch. */
  hostRedrawMs: 1_000,
  /** Last-seen times are asked again this often (View.watch tells joins and leaves, not every record). */
  hostRefreshMs: 5_000,
  /** Every live host's counters (Host.metrics) are asked again this long after the last answer (rates are differences)... */
  ratePollMs: 3_000,
  /** ...or this many times as long as the last round took, when that is longer (as for procs). */
  ratePollCostFactor: 4,
  /** A host that has not answered for its counters in this long shows no rates ("—") until it does. */
  rateAnswerMs: 5_000,
  /** Methods shown in the selected host's calls by method, the busiest first. */
  topMethods: 10,
  /** Deployments (Deployments.list) and endpoint names (Endpoints.names) are asked again this long after the last answer... */
  deployPollMs: 2_000,
  /** ...or this many times as long as the last round took, when that is longer (a list asks every live host). */
  deployPollCostFactor: 4,
  /**
   * Replica rows drawn per deployment (a deployment may have 1,000): those not running first, then by index; the
   * rest are counted in one row (ww deployments lists them all).
   */
  shownReplicas: 20,
  /** A host that left stays on the page, shown gone, this long. */
  goneKeepMs: 10 * 60_000,
  /** Height of one row of a virtualized list, in CSS pixels (must match the stylesheet). */
  rowPx: 26,
  /** Rows drawn beyond the visible ones, above and below. */
  overscanRows: 10,
  /** Bytes of a stored value shown (as hex and text); the rest is counted, not shown. */
  shownValueBytes: 4096
} as const
