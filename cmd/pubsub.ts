import { Command } from 'commander'
import { clusterLimits } from '../src/cluster/limits.js'
import { InvalidArgument } from '../src/errors.js'
import { Topic_Subscribe$Params$Caps, Topic_SubscriberClient } from '../src/schema/pubsub.rpc.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function pubCommand (): Command {
  return new Command('pub')
    .summary('publish on a cluster pubsub topic')
    .description('publish MESSAGE on a cluster pubsub topic')
    .argument('<topic>', 'topic name')
    .argument('<message>', 'the message (UTF-8)')
    .addOption(homeOption())
    .action(async (topic: string, message: string, flags: { home?: string }) => {
      await withHost(flags.home, async host => {
        using router = host.pubsub()
        using joined = router.pipeline.router.join(p => { p.name = topic })
        const bytes = new TextEncoder().encode(message)
        using done = joined.pipeline.topic.publish(p => { p._initMsg(bytes.byteLength).copyBuffer(bytes) })
        await done
      })
    })
}

export function subCommand (): Command {
  return new Command('sub')
    .summary('print what is published on a topic')
    .description('print messages published on a cluster pubsub topic, one per line')
    .argument('<topic>', 'topic name')
    .addOption(homeOption())
    .option('--count <n>', 'exit after N messages')
    .option('--from', 'prefix each message with the publisher\'s peer ID')
    .addHelpText('after', '\nThe host lists a hash of each topic its subscribers use in its signed record (at most ' +
      `${clusterLimits.maxAdvertisedTopics} topics, maxAdvertisedTopics), so hosts subscribed to the same topic connect to ` +
      'each other (gossipsub forwards a topic only between its subscribers); a host subscribed to more is reached on the ' +
      'others only over connections it keeps for another reason.')
    .action(async (topic: string, flags: { home?: string, count?: string, from?: boolean }) => {
      const count = flags.count === undefined ? Infinity : Number(flags.count)
      if (!(count > 0) || (count !== Infinity && !Number.isInteger(count))) {
        throw new InvalidArgument(`--count must be a positive integer, got ${flags.count}`)
      }
      await withHost(flags.home, async host => {
        let seen = 0
        let finish!: () => void
        const finished = new Promise<void>(resolve => { finish = resolve })
        const subscriber = Topic_SubscriberClient.serve({
          deliver (params) {
            if (seen >= count) return
            seen++
            const text = new TextDecoder().decode(params.msg.toUint8Array())
            process.stdout.write(flags.from === true ? `${params.from} ${text}\n` : `${text}\n`)
            if (seen >= count) finish()
          }
        })
        using router = host.pubsub()
        using joined = router.pipeline.router.join(p => { p.name = topic })
        using sub = joined.pipeline.topic.subscribe(p => { Topic_Subscribe$Params$Caps.subscriber.set(p, subscriber) })
        subscriber.release()
        await sub
        const stop = (): void => { finish() }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        await finished
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      })
    })
}
