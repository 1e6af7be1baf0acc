// A deployment's version as people read it. A version is max(held + 1, now in ms), so it is almost always a time:
// shown as that UTC time in ISO 8601 basic form, to the millisecond, so it stays exact and sorts as the number does
// (1765061964123 is v20251206T225924.123Z). --json keeps the number.

/** Versions below this (2001-09-09) are not times (a record made by hand, say) and are shown as the number. */
const FIRST_TIME_MS = 1e12
/** Nor above this (year 5138). */
const LAST_TIME_MS = 1e14

export function versionText (version: number): string {
  if (!Number.isSafeInteger(version) || version < FIRST_TIME_MS || version >= LAST_TIME_MS) return `v${version}`
  return 'v' + new Date(version).toISOString().replace(/[-:]/g, '')
}

/** What ww deploy and ww scale print: `NAME v<time>`, or with --json the exact number. */
export function printVersion (name: string, version: number, json: boolean): void {
  process.stdout.write(json ? JSON.stringify({ name, version }) + '\n' : `${name} ${versionText(version)}\n`)
}
