// The Router and Topic capabilities over the cluster's pubsub.
import { logger } from '../log.js'
import type { PubSub, Topic } from '../cluster/index.js'
import { SubscriptionClient } from '../schema/cluster.rpc.js'
import { Router_Join$Results$Caps, RouterClient, Topic_Subscribe$Params$Caps, Topic_Subscribe$Results$Caps, TopicClient } from '../schema/pubsub.rpc.js'

const log = logger('ww:host:pubsub')

export function serveRouter (pubsub: PubSub): RouterClient {
  return RouterClient.serve({
    join (params, results) {
      const topic = serveTopic(pubsub.join(params.name))
      Router_Join$Results$Caps.topic.set(results, topic)
      topic.release()
    }
  })
}

function serveTopic (topic: Topic): TopicClient {
  return TopicClient.serve({
    name (_params, results) { results.name = topic.name },
    async publish (params) {
      await topic.publish(params.msg.toUint8Array().slice())
    },
    subscribe (params, results, ctx) {
      const subscriber = Topic_Subscribe$Params$Caps.subscriber.get(params).dup()
      const sub = topic.subscribe(params.buffer)
      let stopped = false
      const stop = (): void => {
        if (stopped) return
        stopped = true
        sub.close()
        subscriber.release()
      }
      void (async () => {
        for await (const d of sub) {
          await subscriber.deliver(p => {
            p._initMsg(d.data.byteLength).copyBuffer(d.data)
            p.from = d.from
          })
        }
      })().catch(err => {
        log('subscriber of %s gone: %s', topic.name, err.message)
      }).finally(stop)
      const handle = SubscriptionClient.serve({
        cancel () { stop() },
        [Symbol.dispose] () { stop() }
      })
      Topic_Subscribe$Results$Caps.subscription.set(results, handle)
      handle.release()
      void ctx
    }
  })
}
