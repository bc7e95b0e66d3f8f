import { CloseCode } from '@cutroom/schema'
import { HocuspocusProvider } from '@hocuspocus/provider'
import { type Accessor, createSignal, onCleanup } from 'solid-js'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'
import { offlineStoreName } from '../lib/offlineStore'

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
  /**
   * True once the document has content to show: loaded from the server, or from this device's copy (IndexedDB)
   * when that copy holds the document (opened before). Stays true offline.
   */
  loaded: Accessor<boolean>
  /** Local updates the server has not yet acknowledged (persisted), in this page's life. */
  unsynced: Accessor<number>
  /**
   * True when this device holds changes the server has not acknowledged, including ones from before a reload
   * (compared with the last server-acknowledged state kept next to the device copy). Only with `userId`.
   */
  localOnly: Accessor<boolean>
  /** True once this device's copy is open: every later edit is kept across a reload once it is written. */
  deviceCopy: Accessor<boolean>
  /** True while edits are on their way into the device copy (IndexedDB commits them asynchronously). */
  deviceWriting: Accessor<boolean>
  /** The server granted only read access. */
  readOnly: Accessor<boolean>
  /** Set when the server refused or ended the connection permanently. */
  ended: Accessor<ConnectionEnd | null>
}

const END_MESSAGES: Record<number, string> = {
  [CloseCode.UNAUTHORIZED]: 'Your session has expired. Sign in again to keep editing.',
  [CloseCode.FORBIDDEN]:
    'You no longer have access to this document (your membership was removed or the document is gone).',
  [CloseCode.UPDATE_TOO_LARGE]:
    'An edit was too large for the server to accept. Reload to continue from the saved state.',
  [CloseCode.TOO_MANY_CONNECTIONS]: 'Too many open connections for your account. Close other tabs and reload.',
}

/**
 * One HocuspocusProvider for a document, with its connection state as signals.
 * The browser authenticates with the HttpOnly session cookie sent on the WebSocket upgrade, so the token is empty.
 * The provider is destroyed with the owning scope.
 */
export function createProvider(options: { url: string; name: string; doc?: Y.Doc; userId?: string }): ProviderState {
  const doc = options.doc ?? new Y.Doc()
  const [status, setStatus] = createSignal<'connecting' | 'connected' | 'disconnected'>('connecting')
  const [synced, setSynced] = createSignal(false)
  const [loaded, setLoaded] = createSignal(false)
  const [unsynced, setUnsynced] = createSignal(0)
  const [readOnly, setReadOnly] = createSignal(false)
  const [ended, setEnded] = createSignal<ConnectionEnd | null>(null)
  const [localOnly, setLocalOnly] = createSignal(false)
  const [deviceCopy, setDeviceCopy] = createSignal(false)
  const [deviceWriting, setDeviceWriting] = createSignal(false)

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

  // The device copy: edits survive a reload while offline and are sent when the connection returns.
  const local = options.userId ? new IndexeddbPersistence(offlineStoreName(options.userId, options.name), doc) : null
  if (local) {
    // The server-acknowledged state (state vector and delete set) as of the last time nothing was pending.
    let acked: Y.Snapshot | null = null
    let localReady = false
    const upToDate = () => status() === 'connected' && synced() && provider.unsyncedChanges === 0
    const check = () => {
      if (!localReady) return
      if (upToDate()) {
        const now = Y.snapshot(doc)
        if (!acked || !Y.equalSnapshots(acked, now)) {
          acked = now
          void local.set('acknowledged', Y.encodeSnapshot(now).slice().buffer as ArrayBuffer)
        }
        setLocalOnly(false)
      } else {
        setLocalOnly(acked === null ? doc.store.clients.size > 0 : !Y.equalSnapshots(acked, Y.snapshot(doc)))
      }
    }
    // y-indexeddb writes each update in its own IndexedDB transaction without telling when it commits. A read-only
    // transaction on the same store starts only after the writes queued before it have finished, so its
    // completion says everything up to that edit is on the device: only then may the badge say so.
    let issued = 0
    let written = 0
    const confirmWrite = (_update: Uint8Array, origin: unknown) => {
      if (origin === local) return
      const n = ++issued
      setDeviceWriting(true)
      const db = local.db
      if (!db) return // not open yet: the first sync stores the whole document
      const done = () => {
        written = Math.max(written, n)
        if (written === issued) setDeviceWriting(false)
        check()
      }
      try {
        db.transaction(['updates'], 'readonly').oncomplete = done
      } catch {
        // the database is closing (the page is going away); the writes before it stay pending
      }
    }
    doc.on('update', confirmWrite)
    void local.whenSynced.then(async () => {
      written = issued
      setDeviceWriting(false)
      const stored = (await local.get('acknowledged')) as ArrayBuffer | undefined
      if (stored) acked = Y.decodeSnapshot(new Uint8Array(stored))
      localReady = true
      setDeviceCopy(true)
      // A document this device has held before opens from it at once, online or not.
      if (doc.store.clients.size > 0) setLoaded(true)
      check()
    })
    doc.on('update', check)
    provider.on('unsyncedChanges', check)
    provider.on('synced', check)
    provider.on('status', () => queueMicrotask(check))
    onCleanup(() => {
      doc.off('update', check)
      doc.off('update', confirmWrite)
      void local.destroy()
    })
  }

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
  return { provider, doc, status, synced, loaded, unsynced, localOnly, deviceCopy, deviceWriting, readOnly, ended }
}
