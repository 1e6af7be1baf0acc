// Interface ids travel in every call (Call.interfaceId): a type moved between schema files must keep its id (the
// explicit @0x... after its name), or every client built against the old schema breaks. These are the ids the
// interfaces had before any move; an interface added later only needs to keep its own.
import assert from 'node:assert/strict'
import { Anchor$Client } from '../../src/schema/anchor.js'
import { Chan$Client, Closer$Client, Recver$Client, Sender$Client } from '../../src/schema/channel.js'
import { Subscription$Client, View$Client, View_Watcher$Client } from '../../src/schema/cluster.js'
import { Executor$Client, ModuleSource$Client, SpawnProgress$Client } from '../../src/schema/executor.js'
import { Host$Client } from '../../src/schema/host.js'
import { Proc$Client } from '../../src/schema/proc.js'
import { Router$Client, Topic$Client, Topic_Subscriber$Client } from '../../src/schema/pubsub.js'

const pinned: Array<[string, { interfaceId: bigint }, bigint]> = [
  ['Anchor', Anchor$Client, 0xa3d1b22163041b94n],
  ['Closer', Closer$Client, 0x9e5aa37f5bb118fcn],
  ['Sender', Sender$Client, 0x88cdf3d3668005fan],
  ['Recver', Recver$Client, 0x9ea11403a3a128d9n],
  ['Chan', Chan$Client, 0x8c945d874ad82ab9n],
  ['View.Watcher', View_Watcher$Client, 0xc20ab98c37119d75n],
  ['View', View$Client, 0xb54a84537c4635c8n],
  ['Subscription', Subscription$Client, 0x89a917d689cc0171n],
  ['Host', Host$Client, 0xff2e37244b6ab5b9n],
  ['ModuleSource', ModuleSource$Client, 0xf5c3edb45e46b6a8n],
  ['SpawnProgress', SpawnProgress$Client, 0x842f428a52148e75n],
  ['Proc', Proc$Client, 0xe9fa3c50b1e87039n],
  ['Executor', Executor$Client, 0x809afec18dd440c9n],
  ['Router', Router$Client, 0xc22e1a8a00cd435cn],
  ['Topic.Subscriber', Topic_Subscriber$Client, 0xbbbb737815d0a1cdn],
  ['Topic', Topic$Client, 0xc91f5a9985448409n]
]

describe('schema: interface ids on the wire', () => {
  it('every interface keeps the id it had before executor.capnp was split from proc.capnp', () => {
    for (const [name, client, id] of pinned) assert.equal(client.interfaceId.toString(16), id.toString(16), name)
  })
})
