// The console at scale: one node running 10,000 procs (a guest that spawns copies of itself until the node's
// --max-procs quota stops it). The page lists them all, keeps only the rows in view in its DOM, scrolls to the
// last, filters, and kills from the bottom of the list.
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { CliNode, eventually, ok, tempHome } from '../host/cli-node.js'
import { guest } from '../host/cli-procs.js'
import { assertNoErrors, launchBrowser, openPage, type WatchedPage } from './browser.js'

const PROCS = 10_000

describe('web console with 10,000 procs (chromium)', function () {
  this.timeout(600_000)
  let node: CliNode
  let browser: Browser
  let w: WatchedPage

  before(async function () {
    node = await CliNode.start(tempHome(), '--ui', '--max-procs', String(PROCS), '--max-guest-memory', '16g')
    await ok(['run', '-d', '--mem', '128k', guest('forkbomb'), '--home', node.home])
    await eventually(async () => {
      const ps = JSON.parse(await ok(['ps', '--json', '--home', node.home])) as Array<{ state: string }>
      return ps.filter(p => p.state === 'running').length === PROCS
    }, 400_000, `${PROCS} procs running`)
    browser = await launchBrowser()
    w = await openPage(browser, (await ok(['ui', '--home', node.home])).trim())
  })

  afterEach(function () { assertNoErrors(w) })

  after(async function () {
    await browser?.close()
    node?.cleanup()
  })

  it('lists every proc, drawing only the rows in view', async function () {
    await w.page.waitForFunction((n) => (document.querySelector('#proc-count')?.textContent ?? '').startsWith(`${n} running`), PROCS, { timeout: 300_000 })
    const drawn = await w.page.locator('#procs-list .vrow').count()
    assert.ok(drawn > 0 && drawn < 100, `${drawn} rows in the DOM for ${PROCS} procs`)
  })

  it('scrolls to the last proc, filters, and kills it from there', async function () {
    await w.page.evaluate(() => { const l = document.querySelector('#procs-list')!; l.scrollTop = l.scrollHeight })
    const last = `.proc[data-id="${node.peer}/${PROCS}"]`
    await w.page.waitForSelector(`${last}.running`)
    await w.page.fill('#proc-filter', `${node.peer}/${PROCS - 1}`)
    await w.page.waitForSelector(`.proc[data-id="${node.peer}/${PROCS - 1}"]`)
    assert.match(await w.page.textContent('#proc-count') ?? '', /; 1 shown$/)
    await w.page.fill('#proc-filter', '')
    await w.page.evaluate(() => { const l = document.querySelector('#procs-list')!; l.scrollTop = l.scrollHeight })
    await w.page.click(`${last} button.kill`, { timeout: 120_000 })
    await w.page.waitForSelector(`${last}.ended`, { timeout: 300_000 })
    const ps = JSON.parse(await ok(['ps', '--json', '--home', node.home])) as Array<{ pid: number, state: string }>
    assert.equal(ps.find(p => p.pid === PROCS)?.state, 'exited')
  })
})
