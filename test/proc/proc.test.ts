import assert from 'node:assert/strict'
import { InvalidArgument, LimitExceeded, ModuleNotFound, NotFound } from '../../src/errors.js'
import { Executor, sha256, type Message, type SenderCap } from '../../src/proc/index.js'
import { guest, node, PEER, run, sharedCache, until, warmCache, wat } from './helpers.js'

const HEADER = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]
// (memory 1) (func (export "_start") (loop (br 0))): no SDK buffer, no C stack, its memory not exported
const UNEXPORTED_MEMORY_LOOP = new Uint8Array([...HEADER, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1,
  7, 10, 1, 6, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0, 0, 10, 9, 1, 7, 0, 3, 0x40, 0x0c, 0, 0x0b, 0x0b])
// (func (export "_start") (loop (br 0))): no memory at all (41 bytes)
const NO_MEMORY_LOOP = new Uint8Array([...HEADER, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
  7, 10, 1, 6, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0, 0, 10, 9, 1, 7, 0, 3, 0x40, 0x0c, 0, 0x0b, 0x0b])

/**
 * Fills its whole memory with a pattern, suspends 42 times (sched_yield) from 21 nested calls that keep locals,
 * then exits 40 + the number of bytes that changed: 40 when the lent suspend area was always put back.
 */
const LENDER = `(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1)
  (func $fill (local $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.mul (local.get $i) (i32.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 65536)))))
  (func $changed (result i32) (local $i i32) (local $n i32)
    (loop $l
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.and (i32.mul (local.get $i) (i32.const 7)) (i32.const 255)))
        (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 65536))))
    (local.get $n))
  (func $deep (param $d i32) (local $keep i32)
    (local.set $keep (i32.mul (local.get $d) (i32.const 3)))
    (drop (call $yield))
    (if (local.get $d) (then (call $deep (i32.sub (local.get $d) (i32.const 1)))))
    (drop (call $yield))
    (if (i32.ne (local.get $keep) (i32.mul (local.get $d) (i32.const 3))) (then (unreachable))))
  (func (export "_start")
    (call $fill)
    (call $deep (i32.const 20))
    (call $exit (i32.add (i32.const 40) (call $changed)))))`

describe('proc: running guests', function () {
  this.timeout(300_000)
  before(warmCache)

  it('runs hello in C: args, env, stdout, stderr, exit code 7', async () => {
    const { executor } = node()
    const r = await run(executor, 'hello', { args: ['one', 'two words'], env: ['GREETING=bonjour', 'OTHER=x'] })
    assert.deepEqual(r.status, { reason: 'exited', code: 7, message: 'exited with code 7' })
    assert.equal(r.stdout, 'arg 1: one\narg 2: two words\nGREETING=bonjour\n')
    assert.equal(r.stderr, 'hello on stderr\n')
  })

  it('runs hello in AssemblyScript: args, env, stdout, stderr, exit code 7', async () => {
    const { executor } = node()
    const r = await run(executor, 'hello-as', { args: ['one', 'two words'], env: ['GREETING=hallo'] })
    assert.equal(r.status.reason, 'exited')
    assert.equal(r.status.code, 7)
    assert.equal(r.stdout, 'arg 1: one\narg 2: two words\nGREETING=hallo\n')
    assert.equal(r.stderr, 'hello on stderr\n')
  })

  it('suspends a plain wasi-libc program (no SDK) in sched_yield, using its C stack for the scratch area', async () => {
    const { executor } = node()
    const r = await run(executor, 'plain-yield')
    assert.equal(r.status.code, 3)
    assert.equal(r.stdout, 'tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n')
    assert.ok(r.proc.suspensions >= 5)
  })

  it('without a sink, stdout is a channel the caller reads, closed at exit', async () => {
    const { executor } = node()
    const p = await executor.spawn({ module: { bytes: guest('hello') }, args: ['chan'], env: [] })
    const chunks: string[] = []
    const dec = new TextDecoder()
    for (;;) {
      try { chunks.push(dec.decode(await p.stdout!.recv())) } catch { break }
    }
    assert.equal((await p.wait()).code, 7)
    assert.equal(chunks.join(''), 'arg 1: chan\nGREETING=(unset)\n')
  })

  it('feeds stdin from a channel; closing it is end of input', async () => {
    const { executor } = node()
    const out: string[] = []
    const err: string[] = []
    const dec = new TextDecoder()
    const p = await executor.spawn({ module: { bytes: guest('cat') }, stdin: 'chan', stdout: c => { out.push(dec.decode(c)) }, stderr: c => { err.push(dec.decode(c)) } })
    const enc = new TextEncoder()
    await p.stdin!.send(enc.encode('first '))
    await p.stdin!.send(enc.encode('second'))
    p.stdin!.close()
    assert.equal((await p.wait()).code, 0)
    assert.equal(out.join(''), 'first second')
    assert.equal(err.join(''), '12 bytes\n')
  })

  it('gives a guest without stdin an empty input', async () => {
    const { executor } = node()
    const r = await run(executor, 'cat')
    assert.equal(r.status.code, 0)
    assert.equal(r.stdout, '')
    assert.equal(r.stderr, '0 bytes\n')
  })

  it('kills a guest blocked in recv', async () => {
    const { executor } = node()
    const p = await executor.spawn({ module: { bytes: guest('idle') } })
    await until(() => p.suspensions > 0, 60_000, 'idle to block')
    assert.equal(p.state, 'running')
    p.kill()
    assert.equal((await p.wait()).reason, 'killed')
  })

  it('kills a looping guest, and the loop never stalls a timer on the event loop', async () => {
    const { executor } = node()
    let out = ''
    const p = await executor.spawn({ module: { bytes: guest('loop') }, stdout: c => { out += new TextDecoder().decode(c) } })
    await until(() => out.includes('looping'), 60_000, 'the guest to start looping')
    // the guest is spinning; a timer must still fire while it runs
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(p.state, 'running')
    p.kill()
    const st = await p.wait()
    assert.equal(st.reason, 'killed')
    assert.equal(executor.running, 0)
  })

  it('lets other procs run while two guests loop forever', async () => {
    const { executor } = node()
    const loops = [await executor.spawn({ module: { bytes: guest('loop') } }), await executor.spawn({ module: { bytes: guest('loop') } })]
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/fair'] })
    const ping = await run(executor, 'ping', { args: ['/peer/fair', '50'] })
    assert.equal(ping.status.code, 0, ping.stderr)
    assert.ok(loops.every(p => p.state === 'running'))
    for (const p of [...loops, echo]) p.kill()
    assert.deepEqual((await Promise.all(loops.map(async p => await p.wait()))).map(s => s.reason), ['killed', 'killed'])
  })

  it('gives busy guests at most guestMsPerTurn of each turn of the event loop: 200 loops take many turns for one round', async () => {
    const { executor } = node()
    const loops = await Promise.all(Array.from({ length: 200 }, async () => await executor.spawn({ module: { bytes: guest('loop') } })))
    await until(() => loops.every(p => p.suspensions >= 1), 60_000, 'every loop to run a slice')
    const base = loops.map(p => p.suspensions)
    let ticks = 0
    let ticking = true
    const tick = (): void => { ticks++; if (ticking) setImmediate(tick) }
    setImmediate(tick)
    await until(() => loops.every((p, i) => p.suspensions >= base[i] + 3), 60_000, 'three more slices each')
    ticking = false
    // unpaced, every loop ran one slice per turn (3 rounds, ~3 turns); paced, a 5 ms budget holds a few dozen slices at most
    assert.ok(ticks >= 12, `${ticks} turns of the event loop for 3 rounds of 200 busy guests`)
    for (const p of loops) p.kill()
    await Promise.all(loops.map(async p => await p.wait()))
  })

  it('stops a memory bomb at its limit with outOfMemory, and only that proc', async () => {
    const { executor } = node()
    const bomb = await run(executor, 'membomb', { limits: { memoryBytes: 4 * 1024 * 1024 } })
    assert.equal(bomb.status.reason, 'outOfMemory')
    const after = await run(executor, 'hello')
    assert.equal(after.status.code, 7)
  })

  it('refuses a memory limit below what the module needs at start', async () => {
    const { executor } = node()
    await assert.rejects(executor.spawn({ module: { bytes: guest('hello') }, limits: { memoryBytes: 65536 } }), LimitExceeded)
  })

  it('ends a guest that uses up its fuel with outOfFuel', async () => {
    const { executor } = node()
    const r = await run(executor, 'loop', { limits: { fuel: 2_000_000 } })
    assert.equal(r.status.reason, 'outOfFuel')
  })

  it('ends a guest that runs past its wall-clock limit with timedOut', async () => {
    const { executor } = node()
    const r = await run(executor, 'loop', { limits: { timeoutMs: 200 } })
    assert.equal(r.status.reason, 'timedOut')
  })

  it('suspends a guest with a deep stack, and ends one too deep for its scratch area with a clear status', async () => {
    const { executor } = node()
    const ok = await run(executor, 'deep', { args: ['100'] })
    assert.equal(ok.status.code, 0)
    assert.equal(ok.stdout, '100\n')
    const tooDeep = await run(executor, 'deep', { args: ['2000'] })
    assert.equal(tooDeep.status.reason, 'trapped')
    assert.match(tooDeep.status.message, /too deep to suspend/)
    assert.equal((await run(executor, 'hello')).status.code, 7)
  })

  it('gives a guest that passes bad pointers error codes, not a crash', async () => {
    const { executor } = node()
    const r = await run(executor, 'badptr')
    assert.match(r.stdout, /failures: 0\n$/)
    assert.doesNotMatch(r.stdout, /^FAIL/m)
    assert.equal(r.status.reason, 'exited')
    assert.equal(r.status.code, 0)
    assert.equal((await run(executor, 'hello')).status.code, 7)
  })

  it('echo answers ping through a channel stored at /peer/mailbox', async () => {
    const { executor, world } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, name: 'echo' })
    const ping = await run(executor, 'ping', { args: ['/peer/mailbox', '200'] })
    assert.equal(ping.status.code, 0, ping.stderr)
    assert.match(ping.stdout, /^ping: 200 round trips in \d+ us/)
    // "/peer" inside the proc is this host's anchor in the cluster tree
    const root = world.tree.root()
    const box = root.walk(`/${PEER}/mailbox`)
    const v = box.load()
    assert.equal(v?.kind, 'sender')
    box.release(); root.release()
    // a host-side caller talks to the same guest
    const replies = new (await import('../../src/csp/index.js')).Chan<Message>(1)
    const sender = (v as { cap: { send: (m: Message) => Promise<void> } }).cap
    await sender.send({ data: new TextEncoder().encode('from the host'), cap: { kind: 'sender', send: async m => await replies.send(m) } })
    assert.equal(new TextDecoder().decode((await replies.recv()).data), 'from the host')
    echo.kill()
    assert.equal((await echo.wait()).reason, 'killed')
  })

  it('a guest takes messages already in its channel without suspending, in order', async () => {
    const { executor, world } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/burst', '16'] })
    let sender: SenderCap | undefined
    await until(() => {
      const root = world.tree.root()
      try {
        const v = root.walk(`/${PEER}/burst`).load()
        if (v?.kind === 'sender') sender = v.cap as SenderCap
      } finally { root.release() }
      return sender !== undefined && echo.suspensions >= 2 // stored its inbox, then blocked in recv
    }, 60_000, 'echo to block in recv')
    const before = echo.suspensions
    const got: string[] = []
    const take = (m: Message): boolean => { got.push(new TextDecoder().decode(m.data)); return true }
    const reply: SenderCap = { kind: 'sender', send: async m => { take(m) }, trySend: take } // replies never suspend
    // one hand-off to the waiting recv, fifteen buffered (capacity 16), all in this one turn
    const sent = Array.from({ length: 16 }, async (_, i) => { await sender!.send({ data: new TextEncoder().encode(`m${i}`), cap: reply }) })
    await Promise.all(sent)
    assert.equal((await echo.wait()).code, 0)
    assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => `m${i}`))
    assert.ok(echo.suspensions - before < 8, `the buffered messages were taken without suspending (${echo.suspensions - before} suspensions for 16 messages)`)
  })

  it('fanout runs children and collects their results in input order', async () => {
    const { executor } = node()
    const r = await run(executor, 'fanout', { args: ['6', 'rr', PEER, 'zone=test'] })
    assert.equal(r.status.code, 0, r.stderr)
    assert.equal(r.stdout, 'results: 0 1 4 9 16 25\n')
  })

  it('a child placed on an unknown host fails with an error the guest reads', async () => {
    const { executor } = node()
    const r = await run(executor, 'fanout', { args: ['2', 'rr', 'zone=nowhere'] })
    assert.equal(r.status.code, 1)
    assert.match(r.stderr, /NotFound: no host matches zone=nowhere/)
  })

  it('confines a proc to its root', async () => {
    const { executor, world } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/box'], root: ['jail'] })
    await until(() => echo.suspensions > 0, 60_000, 'echo to block in recv')
    const root = world.tree.root()
    assert.deepEqual(root.ls().map(c => c.name), ['jail'])
    assert.equal(root.walk('/jail/box').load()?.kind, 'sender')
    root.release()
    echo.kill()
    await echo.wait()
  })

  it('spawns by hash: from the cache, via a fetcher, or ModuleNotFound', async () => {
    const { executor } = node()
    const bytes = guest('hello')
    const hash = sha256(bytes)
    const p = await executor.spawn({ module: { hash } })
    assert.equal((await p.wait()).code, 7)
    const unknown = sha256(new TextEncoder().encode('no such module'))
    await assert.rejects(executor.spawn({ module: { hash: unknown } }), ModuleNotFound)
    await assert.rejects(executor.spawn({ module: { hash: unknown, fetch: async () => bytes } }), InvalidArgument)
  })

  it('rejects bytes that are not a module, and the node carries on', async () => {
    const { executor } = node()
    await assert.rejects(executor.spawn({ module: { bytes: new TextEncoder().encode('not wasm at all') } }), InvalidArgument)
    assert.equal((await run(executor, 'hello')).status.code, 7)
  })

  it('refuses modules it cannot run: a wasm start function that never returns, an unknown import', async () => {
    const { executor } = node()
    const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]
    const voidType = [1, 4, 1, 0x60, 0, 0]
    // (func $s (loop (br 0))) (memory 1) (start $s)
    const endlessStart = new Uint8Array([...header, ...voidType, 3, 2, 1, 0, 5, 3, 1, 0, 1, 8, 1, 0, 10, 9, 1, 7, 0, 3, 0x40, 0x0c, 0, 0x0b, 0x0b])
    await assert.rejects(executor.spawn({ module: { bytes: endlessStart } }), InvalidArgument)
    // (import "env" "foo" (func)) (memory 1) (func (export "_start") (call 0))
    const unknownImport = new Uint8Array([...header, ...voidType, 2, 11, 1, 3, 0x65, 0x6e, 0x76, 3, 0x66, 0x6f, 0x6f, 0, 0,
      3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0, 1, 10, 6, 1, 4, 0, 0x10, 0, 0x0b])
    await assert.rejects(executor.spawn({ module: { bytes: unknownImport } }), /env\.foo/)
    assert.equal((await run(executor, 'hello')).status.code, 7)
  })

  it('preempts an endless loop with no memory of its own for a suspend area (none exported, or none at all), and kills it', async () => {
    const { executor } = node()
    for (const bytes of [UNEXPORTED_MEMORY_LOOP, NO_MEMORY_LOOP]) {
      const p = await executor.spawn({ module: { bytes } })
      await until(() => p.suspensions >= 3, 60_000, 'the loop to be preempted')
      p.kill()
      assert.equal((await p.wait()).reason, 'killed')
    }
  })

  it('suspends a guest that lends its own memory for the suspend area, and the guest never sees those bytes change', async () => {
    const { executor } = node()
    const p = await executor.spawn({ module: { bytes: wat(LENDER) } })
    assert.deepEqual(await p.wait(), { reason: 'exited', code: 40, message: 'exited with code 40' })
    assert.ok(p.suspensions >= 42, `${p.suspensions} suspensions`)
  })

  it('refuses a spawn past maxProcs with LimitExceeded', async () => {
    const { world } = node()
    const executor = new Executor({ cache: sharedCache, world: world.forProc, limits: { maxProcs: 2 } })
    const idle = [await executor.spawn({ module: { bytes: guest('idle') } }), await executor.spawn({ module: { bytes: guest('idle') } })]
    await assert.rejects(executor.spawn({ module: { bytes: guest('idle') } }), LimitExceeded)
    await executor.close()
    assert.ok(idle.every(p => p.exitStatus?.reason === 'killed'))
    assert.equal((await run(executor, 'hello')).status.code, 7)
  })

  it('lists procs, finds them by pid, and kills by pid', async () => {
    const { executor } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/ps-test'] })
    const info = executor.ps().find(i => i.pid === echo.pid)
    assert.equal(info?.state, 'running')
    assert.equal(executor.proc(echo.pid), echo)
    assert.throws(() => executor.proc(999_999), NotFound)
    executor.kill(echo.pid)
    assert.equal((await echo.wait()).reason, 'killed')
    assert.equal(executor.ps().find(i => i.pid === echo.pid)?.state, 'exited')
  })
})
