import type { HocuspocusProvider } from '@hocuspocus/provider'
import type { Accessor } from 'solid-js'
import type * as Y from 'yjs'
import type { BinAsset } from './binAsset'
import type { Peer, PresenceUser } from './createAwarenessPeers'

/** What every document editor receives from the document page. */
export interface EditorContext {
  projectId: string
  documentId: string
  doc: Y.Doc
  /** The collab server, for opening a second document (e.g. the timeline a transcript cuts). */
  collabUrl: string
  provider: HocuspocusProvider
  user: PresenceUser
  peers: Accessor<Peer[]>
  /** True when this person may not edit (role, server scope or an ended connection). */
  readOnly: Accessor<boolean>
  assets: Accessor<BinAsset[]>
  /** Reloads the project's assets (after uploads, or when a worker finished something). */
  refreshAssets: () => void
  /** Shows a short message in the status bar (refused edits, hints). */
  notify: (message: string) => void
}
