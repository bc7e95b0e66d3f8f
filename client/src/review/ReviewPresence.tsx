import { For, Show } from 'solid-js'
import { initials } from '../workspace/userColor'
import { COMPARE_MODE_LABEL } from './compareState'
import type { ReviewRoomState } from './createReviewRoom'

/**
 * Who is in the review, with their frame and compare mode; "Present" to lead, "Follow <name>" for each presenter
 * (one person's several tabs show once).
 */
export function ReviewPresence(props: { state: ReviewRoomState }) {
  const s = props.state
  const people = () => {
    const byUser = new Map<string, ReturnType<typeof s.peers>[number]>()
    for (const peer of s.peers())
      if (!byUser.has(peer.user.id) || peer.local || peer.presenting) byUser.set(peer.user.id, peer)
    return [...byUser.values()]
  }
  const presenters = () => s.peers().filter((p) => p.presenting && !p.local)
  const describe = (p: ReturnType<typeof people>[number]) =>
    `${p.user.name}${p.local ? ' (you)' : ''}${p.frame !== null ? ` — frame ${p.frame}` : ''}${
      p.compare ? ` · ${COMPARE_MODE_LABEL[p.compare.mode]}` : ''
    }${p.presenting ? ' · presenting' : ''}`
  return (
    <div class="review-presence">
      <div class="avatars" data-testid="presence">
        <For each={people()}>
          {(peer) => (
            <span
              class="avatar review-avatar"
              classList={{ self: peer.local, presenting: peer.presenting }}
              style={{ 'background-color': peer.user.color }}
              title={describe(peer)}
              data-name={peer.user.name}
              data-frame={peer.frame ?? ''}
              data-mode={peer.compare?.mode ?? ''}
            >
              {initials(peer.user.name)}
              <Show when={peer.frame !== null}>
                <span class="avatar-frame">{peer.frame}</span>
              </Show>
            </span>
          )}
        </For>
      </div>
      <Show
        when={s.following()}
        fallback={
          <>
            <For each={presenters()}>
              {(p) => (
                <button type="button" data-testid="follow" data-name={p.user.name} onClick={() => s.follow(p.clientId)}>
                  Follow {p.user.name}
                </button>
              )}
            </For>
            <button
              type="button"
              classList={{ primary: s.presenting() }}
              aria-pressed={s.presenting()}
              data-testid="present"
              onClick={() => s.setPresenting(!s.presenting())}
              title="Everyone who follows you sees your frame and compare settings"
            >
              {s.presenting() ? 'Stop presenting' : 'Present'}
            </button>
          </>
        }
      >
        {(leader) => (
          <span class="following" data-testid="following" data-name={leader().user.name}>
            Following {leader().user.name}
            <button type="button" onClick={() => s.follow(null)} data-testid="stop-following">
              Stop following
            </button>
          </span>
        )}
      </Show>
    </div>
  )
}
