import assert from 'node:assert/strict'
import { PacedJobs } from '../../src/proc/paced-jobs.js'

const busy = (ms: number): void => { const until = performance.now() + ms; while (performance.now() < until); }

describe('proc: paced jobs', () => {
  it('runs jobs in order, at most its budget of them per turn of the event loop, with I/O turns between', async () => {
    const paced = new PacedJobs(5)
    let turn = 0
    let ticking = true
    const tick = (): void => { turn++; if (ticking) setImmediate(tick) }
    setImmediate(tick)
    const turns = await Promise.all(Array.from({ length: 40 }, async (_, i) => await paced.run(() => { busy(2); return { i, turn } })))
    ticking = false
    assert.deepEqual(turns.map(t => t.i), Array.from({ length: 40 }, (_, i) => i))
    const perTurn = new Map<number, number>()
    for (const t of turns) perTurn.set(t.turn, (perTurn.get(t.turn) ?? 0) + 1)
    // a job starts only while the budget lasts: 2 ms jobs under a 5 ms budget are at most 3 a turn
    assert.ok(Math.max(...perTurn.values()) <= 3, `per turn: ${[...perTurn.values()].join(' ')}`)
    assert.ok(perTurn.size >= 14)
  })

  it('rejects with what a job threw, and runs the next', async () => {
    const paced = new PacedJobs(5)
    const failing = paced.run(() => { throw new Error('no') })
    const next = paced.run(() => 7)
    await assert.rejects(failing, /no/)
    assert.equal(await next, 7)
  })

  it('runs a prompt job at once while the budget since the loop last turned lasts, then in its turn', async () => {
    const paced = new PacedJobs(5)
    let ran = 0
    const first = paced.run(() => { ran++; busy(6) }, { prompt: true })
    assert.equal(ran, 1) // at once
    const second = paced.run(() => { ran++ }, { prompt: true })
    assert.equal(ran, 1) // the budget is spent: it waits for the next turn
    await Promise.all([first, second])
    assert.equal(ran, 2)
    await new Promise(resolve => setImmediate(resolve))
    void paced.run(() => { ran++ }, { prompt: true })
    assert.equal(ran, 3) // a new turn, a new budget
  })
})
