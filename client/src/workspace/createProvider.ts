import { CloseCode } from '@cutroom/schema'
import { HocuspocusProvider } from '@hocuspocus/provider'
import { type Accessor, createSignal, onCleanup } from 'solid-js'
import * as Y from 'yjs'

/** Why a document connection ended for good (the editor shows this instead of the document). */
export interface ConnectionEnd {
  code: number
  message: string
}

export interface ProviderState {
  provider: HocuspocusProvider
  doc: Y.Doc
  /** WebSocket status: connecting, connected or disconnected. */
  status: Accessor<'connecting' | 'connected' | 'disconnected'>
  /** True while synced with the server (false again after a disconnect until the next handshake). */
  synced: Accessor<boolean>
  /** True once the document has been loaded from the server at least once; stays true offline. */
  loaded: Accessor<boolean>
  /** Local updates the server has not yet acknowledged (persisted). */
  unsynced: Accessor<number>
  /** The server granted only read access. */
  readOnly: Accessor<boolean>
  /** Set when the server refused or ended the connection permanently. */
  ended: Accessor<ConnectionEnd | null>
}

const END_MESSAGES: Record<number, string> = {
  [CloseCode.UNAUTHORIZED]: 'Your session has expired. Sign in again to keep editing.',
  [CloseCode.FORBIDDEN]: 'You no longer have access to this document (your membership was removed or the document is gone).',
  [CloseCode.UPDATE_TOO_LARGE]: 'An edit was too large for the server to accept. Reload to continue from the saved state.',
  [CloseCode.TOO_MANY_CONNECTIONS]: 'Too many open connections for your account. Close other tabs and reload.',
}

/**
 * One HocuspocusProvider for a document, with its connection state as signals.
 * The browser authenticates with the HttpOnly session cookie sent on the WebSocket upgrade, so the token is empty.
 * The provider is destroyed with the owning scope.
 */
export function createProvider(options: { url: string; name: string; doc?: Y.Doc }): ProviderState {
  const doc = options.doc ?? new Y.Doc()
  const [status, setStatus] = createSignal<'connecting' | 'connected' | 'disconnected'>('connecting')
  const [synced, setSynced] = createSignal(false)
  const [loaded, setLoaded] = createSignal(false)
  const [unsynced, setUnsynced] = createSignal(0)
  const [readOnly, setReadOnly] = createSignal(false)
  const [ended, setEnded] = createSignal<ConnectionEnd | null>(null)

  // Set once the connection ended for good or the provider was destroyed: the socket never connects again.
  let stopped = false
  const end = (code: number, message: string) => {
    if (ended()) return
    setEnded({ code, message })
    // Reconnecting cannot help after a refusal (at connect or a live close: removed, signed out); stop retrying.
    stopped = true
    provider.disconnect()
  }

  const provider: HocuspocusProvider = new HocuspocusProvider({
    url: options.url,
    name: options.name,
    document: doc,
    token: '',
    onStatus: ({ status }) => setStatus(status as 'connecting' | 'connected' | 'disconnected'),
    onSynced: ({ state }) => {
      setSynced(state)
      if (state) setLoaded(true)
    },
    onUnsyncedChanges: ({ number }) => setUnsynced(number),
    onAuthenticated: ({ scope }) => setReadOnly(scope === 'readonly'),
    onAuthenticationFailed: ({ reason }) => {
      const expired = /expired|unauthori[sz]ed|sign in/i.test(reason)
      end(
        expired ? CloseCode.UNAUTHORIZED : CloseCode.FORBIDDEN,
        expired ? END_MESSAGES[CloseCode.UNAUTHORIZED]! : `${END_MESSAGES[CloseCode.FORBIDDEN]} (${reason})`,
      )
    },
    onClose: ({ event }) => {
      const message = END_MESSAGES[event.code]
      if (message) end(event.code, message)
    },
  })

  // A close schedules a reconnect before our close handler runs, and that later connect() would undo
  // disconnect()/destroy() and retry forever (provider 4.7): a stopped socket ignores it.
  const socket = provider.configuration.websocketProvider
  const connectSocket = socket.connect.bind(socket)
  socket.connect = () => (stopped ? Promise.resolve() : connectSocket())

  // When the browser reports the network gone, drop the socket at once instead of waiting for a timeout; edits
  // keep going into the local document and sync when the browser is back online.
  const goOffline = () => {
    setStatus('disconnected')
    provider.disconnect()
  }
  const goOnline = () => {
    if (!ended()) void provider.connect()
  }
  window.addEventListener('offline', goOffline)
  window.addEventListener('online', goOnline)
  onCleanup(() => {
    window.removeEventListener('offline', goOffline)
    window.removeEventListener('online', goOnline)
    stopped = true
    provider.destroy()
  })
  return { provider, doc, status, synced, loaded, unsynced, readOnly, ended }
}
