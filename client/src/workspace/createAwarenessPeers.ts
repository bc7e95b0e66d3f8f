import type { HocuspocusProvider } from '@hocuspocus/provider'
import { type Accessor, createSignal, onCleanup } from 'solid-js'

/** What each person publishes about themselves in awareness. */
export interface PresenceUser {
  id: string
  name: string
  color: string
}

export interface Peer {
  clientId: number
  user: PresenceUser
  /** Timeline playhead frame. */
  playhead?: number
  /** Selected timeline item ids. */
  selection?: string[]
  local: boolean
}

/** Everyone connected to the document (including this tab), refreshed on every awareness change. */
export function createAwarenessPeers(provider: HocuspocusProvider): Accessor<Peer[]> {
  const awareness = provider.awareness
  const read = (): Peer[] => {
    if (!awareness) return []
    const peers: Peer[] = []
    awareness.getStates().forEach((state, clientId) => {
      const user = state.user as PresenceUser | undefined
      if (!user?.name) return
      peers.push({
        clientId,
        user,
        playhead: typeof state.playhead === 'number' ? state.playhead : undefined,
        selection: Array.isArray(state.selection) ? (state.selection as string[]) : undefined,
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
