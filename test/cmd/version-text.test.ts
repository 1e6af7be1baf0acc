import assert from 'node:assert/strict'
import { versionText } from '../../cmd/version-text.js'

describe('a deployment version as text', () => {
  it('shows a version that is a time in ms as that UTC time, exact to the ms, sorting as the number does', () => {
    assert.equal(versionText(1765061964123), 'v20251206T225924.123Z')
    assert.equal(versionText(1765061964124), 'v20251206T225924.124Z')
    const a = versionText(1765061964999)
    const b = versionText(1765061965000)
    assert.ok(a < b, `${a} < ${b}`)
  })

  it('shows a version that is not a time as the number', () => {
    assert.equal(versionText(1), 'v1')
    assert.equal(versionText(1e14), 'v100000000000000')
  })
})
