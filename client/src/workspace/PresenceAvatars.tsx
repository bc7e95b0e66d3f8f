import { type Accessor, For, Show } from 'solid-js'
import type { Peer } from './createAwarenessPeers'
import { initials } from './userColor'

/** Avatars of everyone on the document; one avatar per person even with several tabs open. */
export function PresenceAvatars(props: { peers: Accessor<Peer[]> }) {
  const people = () => {
    const byUser = new Map<string, Peer>()
    for (const peer of props.peers()) if (!byUser.has(peer.user.id) || peer.local) byUser.set(peer.user.id, peer)
    return [...byUser.values()]
  }
  return (
    <div class="avatars" data-testid="presence">
      <For each={people()}>
        {(peer) => (
          <span
            class="avatar"
            classList={{ self: peer.local }}
            style={{ 'background-color': peer.user.color }}
            title={peer.local ? `${peer.user.name} (you)` : peer.user.name}
            data-name={peer.user.name}
          >
            {initials(peer.user.name)}
          </span>
        )}
      </For>
      <Show when={people().length > 1}>
        <span class="muted small">{people().length} here</span>
      </Show>
    </div>
  )
}
