// Debian's chromium driven by playwright-core (headless; never a downloaded browser), and pages that remember
// every error they log or throw, so a test can fail on any.
import assert from 'node:assert/strict'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  })
}

/** A page and the errors it logged (console.error) or threw (uncaught exceptions, unhandled rejections). */
export interface WatchedPage { page: Page, errors: string[] }

export async function openPage (browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.setDefaultTimeout(60_000)
  const errors: string[] = []
  page.on('console', m => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`) })
  page.on('pageerror', e => { errors.push(`uncaught: ${e.message}`) })
  await page.goto(url)
  return { page, errors }
}

/** Fails when the page logged or threw any error but those `expected` matches. */
export function assertNoErrors (w: WatchedPage, expected?: RegExp): void {
  const unexpected = w.errors.filter(e => expected === undefined || !expected.test(e))
  assert.deepEqual(unexpected, [], 'the page logged errors')
}
