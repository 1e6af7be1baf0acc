// A <select> of the live hosts, kept current as hosts join and leave, keeping the user's choice while it is live.
import { el } from './dom.js'
import type { Hosts } from './hosts.js'

export function keepHostPicker (picker: HTMLSelectElement, hosts: Hosts): void {
  let listed = ''
  const fill = (): void => {
    const live = hosts.live()
    // Redrawn only when the live hosts change: a select redrawn while open would close under the user.
    const key = live.map(h => `${h.peer} ${h.hostname}`).join('\n')
    if (key === listed) return
    listed = key
    const chosen = picker.value
    picker.replaceChildren(...live.map(h => el('option', { value: h.peer }, `${h.hostname} ${h.peer}${h.self ? ' (this node)' : ''}`)))
    const value = live.some(h => h.peer === chosen) ? chosen : hosts.self
    picker.value = value
    // A choice that vanished with its host: tell the panel, as the user would.
    if (chosen !== '' && value !== chosen) picker.dispatchEvent(new Event('change'))
  }
  hosts.onChange(fill)
  fill()
}
