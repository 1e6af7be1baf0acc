import assert from 'node:assert/strict'
import { componentLogger } from '../../src/cluster/component-logger.js'

describe('cluster: the loggers libp2p is handed', () => {
  it('without DEBUG, one silent logger for every component and scope', () => {
    const log = componentLogger(undefined).forComponent('libp2p:connection')
    assert.equal(log.enabled, false)
    assert.equal(log.newScope('outbound'), log)
    assert.equal(componentLogger('  ').forComponent('libp2p:dialer'), log)
    log('nothing %s', 'written'); log.error('nor this'); log.trace('nor this')
  })

  it("with DEBUG set, @libp2p/logger's own, which logs what DEBUG names", () => {
    const log = componentLogger('libp2p:*').forComponent('libp2p:connection')
    assert.equal(typeof log.newScope, 'function')
    assert.notEqual(log.newScope('x'), log)
  })
})
