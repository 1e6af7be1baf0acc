// The members a host keeps connections to: its neighbours on a ring of all members ordered by peer ID, `perSide`
// after it and `perSide` before it. The relation is symmetric (B is among A's successors exactly when A is among B's
// predecessors), so two hosts with the same member list agree on whether their connection is wanted: neither closes
// one the other would dial again. The ring is connected, so changes gossiped along it reach every member, and every
// member has 2·perSide neighbours probing it over connections already open.

/** The ring neighbours of `self` among `members` (self may or may not be among them). */
export function ringNeighbours (self: string, members: readonly string[], perSide: number): Set<string> {
  const others = [...new Set(members)].filter(m => m !== self)
  if (others.length <= 2 * perSide) return new Set(others)
  const ring = [...others, self].sort()
  const at = ring.indexOf(self)
  const out = new Set<string>()
  for (let i = 1; i <= perSide; i++) {
    out.add(ring[(at + i) % ring.length])
    out.add(ring[(at - i + ring.length) % ring.length])
  }
  return out
}
