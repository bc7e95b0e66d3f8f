import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { type Accessor, createEffect, createSignal, onCleanup } from 'solid-js'
import type { PresenceUser } from './createAwarenessPeers'

const MAX_WATCHED = 20

/**
 * Who is in which document of a project right now: observes the awareness of up to 20 documents over one
 * shared WebSocket, without announcing this person (watching a project is not being in a document).
 */
export function createProjectPresence(
  collabUrl: Accessor<string | null>,
  documentNames: Accessor<{ id: string; name: string }[]>,
): Accessor<Map<string, PresenceUser[]>> {
  const [presence, setPresence] = createSignal(new Map<string, PresenceUser[]>())
  createEffect(() => {
    const url = collabUrl()
    const docs = documentNames().slice(0, MAX_WATCHED)
    if (!url || docs.length === 0) return
    const socket = new HocuspocusProviderWebsocket({ url })
    const providers = docs.map((d) => {
      const provider = new HocuspocusProvider({ websocketProvider: socket, name: d.name, token: '' })
      const read = () => {
        const users = new Map<string, PresenceUser>()
        provider.awareness?.getStates().forEach((state, clientId) => {
          const user = state.user as PresenceUser | undefined
          if (user?.id && clientId !== provider.awareness?.clientID) users.set(user.id, user)
        })
        setPresence((prev) => new Map(prev).set(d.id, [...users.values()]))
      }
      provider.awareness?.on('change', read)
      provider.attach()
      return provider
    })
    onCleanup(() => {
      for (const p of providers) p.destroy()
      socket.destroy()
    })
  })
  return presence
}
