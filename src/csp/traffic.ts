// How many messages channels took in and handed out: two numbers a node's metrics read.

export class ChanTraffic {
  /** Messages a channel took (a send that resolved, or an offer that returned true). */
  sent = 0
  /** Messages a channel handed out (a recv that resolved, or a poll that returned one); one given back and taken again counts twice. */
  received = 0
}

/** The traffic of this process's host channels: those that know their messages' sizes, as hostChanBudget. */
export const hostChanTraffic = new ChanTraffic()
