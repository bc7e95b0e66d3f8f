import type { Accessor } from 'solid-js'
import type { ProviderState } from './createProvider'

export type SaveState = 'saved' | 'saving' | 'offline' | 'connecting' | 'ended'

/**
 * What the badge says. "Saved" only when the server has acknowledged (persisted) every local change:
 * connected, synced and no unsynced changes.
 */
export function saveState(p: ProviderState): SaveState {
  if (p.ended()) return 'ended'
  if (p.status() !== 'connected') return p.loaded() ? 'offline' : 'connecting'
  if (!p.synced()) return p.loaded() ? 'saving' : 'connecting'
  return p.unsynced() === 0 ? 'saved' : 'saving'
}

const LABELS: Record<SaveState, string> = {
  saved: 'Saved',
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
      {props.state() === 'offline' && props.unsynced() > 0 ? ` (${props.unsynced()} pending)` : ''}
    </span>
  )
}
