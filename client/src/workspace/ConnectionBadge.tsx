import type { Accessor } from 'solid-js'
import type { ProviderState } from './createProvider'

export type SaveState = 'saved' | 'local' | 'saving' | 'offline' | 'connecting' | 'ended'

/**
 * What the badge says. "Saved" only when the server has acknowledged (persisted) every local change:
 * connected, synced and nothing pending, in this page or (after a reload) on this device. Offline, "Saved on this
 * device" when this device holds edits the server has not got yet.
 */
export function saveState(p: ProviderState): SaveState {
  if (p.ended()) return 'ended'
  if (p.status() !== 'connected')
    return p.localOnly() && !p.deviceWriting() ? 'local' : p.loaded() ? 'offline' : 'connecting'
  if (!p.synced()) return p.loaded() ? 'saving' : 'connecting'
  return p.unsynced() === 0 && !p.localOnly() ? 'saved' : 'saving'
}

const LABELS: Record<SaveState, string> = {
  saved: 'Saved',
  local: 'Saved on this device — syncs when you reconnect',
  saving: 'Saving…',
  offline: 'Offline — edits are kept and sync when you reconnect',
  connecting: 'Connecting…',
  ended: 'Disconnected',
}

export function ConnectionBadge(props: { state: Accessor<SaveState>; unsynced: Accessor<number> }) {
  return (
    <span class={`connection ${props.state()}`} data-testid="save-state" data-state={props.state()}>
      <span class="dot" />
      {LABELS[props.state()]}
      {(props.state() === 'offline' || props.state() === 'local') && props.unsynced() > 0
        ? ` (${props.unsynced()} pending)`
        : ''}
    </span>
  )
}
