import type { HocuspocusProvider } from '@hocuspocus/provider'
import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type { PresenceUser } from '../workspace/createAwarenessPeers'
import { type CompareState, normalizeCompare } from './compareState'
import { parseStroke, type Stroke } from './strokeShape'

/**
 * One person in the review room, from awareness: `user`, `playhead` (frame), `compare` (mode, offset, gain,
 * opacity, wipe, showB), `presenting` and the `stroke` being drawn.
 */
export interface ReviewPeer {
  clientId: number
  user: PresenceUser
  frame: number | null
  compare: Omit<CompareState, 'frame'> | null
  presenting: boolean
  stroke: Stroke | null
  local: boolean
}

/** Everyone on the review's qa document (this tab included), refreshed on every awareness change. */
export function createReviewPeers(provider: HocuspocusProvider): Accessor<ReviewPeer[]> {
  const awareness = provider.awareness
  const read = (): ReviewPeer[] => {
    if (!awareness) return []
    const peers: ReviewPeer[] = []
    awareness.getStates().forEach((state, clientId) => {
      const user = state.user as PresenceUser | undefined
      if (!user?.name) return
      const compare = state.compare && typeof state.compare === 'object' ? normalizeCompare(state.compare) : null
      peers.push({
        clientId,
        user,
        frame: typeof state.playhead === 'number' && Number.isFinite(state.playhead) ? state.playhead : null,
        compare,
        presenting: state.presenting === true,
        stroke: parseStroke(state.stroke),
        local: clientId === awareness.clientID,
      })
    })
    return peers.sort((a, b) => a.clientId - b.clientId)
  }
  const [peers, setPeers] = createSignal(read(), { equals: false })
  if (awareness) {
    const onChange = () => setPeers(read())
    awareness.on('change', onChange)
    onCleanup(() => awareness.off('change', onChange))
  }
  return peers
}
