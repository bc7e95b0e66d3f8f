import type { DocumentKind } from '@cutroom/schema'
import { type Accessor, createMemo, createSignal, lazy, Match, onCleanup, Show, Suspense, Switch } from 'solid-js'
import type { BinAsset } from './binAsset'
import { ConnectionBadge, saveState } from './ConnectionBadge'
import { createAwarenessPeers, type PresenceUser } from './createAwarenessPeers'
import { createProvider } from './createProvider'
import { DownloadMenu } from './DownloadMenu'
import { SubtitlesMenu } from './SubtitlesMenu'
import type { EditorContext } from './EditorContext'
import { PresenceAvatars } from './PresenceAvatars'
import { userColor } from './userColor'

// Each document kind loads only its own editor: a timeline never downloads the text editors, and the
// transcript and retell editors share the Tiptap chunk.
const TimelineEditor = lazy(() => import('./TimelineEditor').then((m) => ({ default: m.TimelineEditor })))
const TranscriptEditor = lazy(() => import('./TranscriptEditor').then((m) => ({ default: m.TranscriptEditor })))
const RetellEditor = lazy(() => import('./RetellEditor').then((m) => ({ default: m.RetellEditor })))
const EDITORS: Partial<Record<DocumentKind, { preload: () => unknown }>> = {
  timeline: TimelineEditor,
  transcript: TranscriptEditor,
  retell: RetellEditor,
}

const KIND_LABEL: Record<DocumentKind, string> = {
  timeline: 'Timeline',
  transcript: 'Transcript',
  retell: 'Retell script',
  qa: 'QA trail',
  'qa-workflow': 'QA workflow',
}

/** One open document: its provider, presence, connection state, and the editor for its kind. */
export function DocumentSession(props: {
  projectId: string
  documentId: string
  title: string
  kind: DocumentKind
  name: string
  access: 'read' | 'write'
  role: string
  collabUrl: string
  user: { id: string; name: string }
  assets: Accessor<BinAsset[]>
  refetchAssets: () => void
}) {
  // fetch the editor's code while the document syncs, not after
  EDITORS[props.kind]?.preload()
  const connection = createProvider({ url: props.collabUrl, name: props.name, userId: props.user.id })
  const user: PresenceUser = { ...props.user, color: userColor(props.user.id) }
  connection.provider.setAwarenessField('user', user)
  const peers = createAwarenessPeers(connection.provider)
  const [message, setMessage] = createSignal<string | null>(null)
  let messageTimer = 0
  const notify = (text: string) => {
    setMessage(text)
    clearTimeout(messageTimer)
    messageTimer = window.setTimeout(() => setMessage(null), 5000)
  }
  onCleanup(() => clearTimeout(messageTimer))

  const readOnlyReason = createMemo(() => {
    if (connection.ended()) return 'This document is closed: see the message above.'
    if (props.access === 'read' || connection.readOnly())
      return `You are a ${props.role} in this project: you can watch everything live, but only editors can change this ${KIND_LABEL[props.kind].toLowerCase()}.`
    return null
  })
  const state = () => saveState(connection)
  // Warn before closing the tab while edits are neither on the server nor kept on this device.
  const beforeUnload = (e: BeforeUnloadEvent) => {
    if (connection.unsynced() > 0 && (!connection.deviceCopy() || connection.deviceWriting())) e.preventDefault()
  }
  window.addEventListener('beforeunload', beforeUnload)
  onCleanup(() => window.removeEventListener('beforeunload', beforeUnload))

  const ctx: EditorContext = {
    projectId: props.projectId,
    documentId: props.documentId,
    doc: connection.doc,
    collabUrl: props.collabUrl,
    provider: connection.provider,
    user,
    peers,
    readOnly: () => readOnlyReason() !== null,
    assets: props.assets,
    refreshAssets: props.refetchAssets,
    notify,
  }

  return (
    <div class="document-session" data-kind={props.kind}>
      <header class="workspace-header">
        <a class="back" href={`/projects/${props.projectId}`} title="Back to the project">
          ←
        </a>
        <div class="doc-title">
          <span class="kind-tag">{KIND_LABEL[props.kind]}</span>
          <h1>{props.title}</h1>
        </div>
        <Show when={props.kind === 'timeline'}>
          <DownloadMenu documentId={props.documentId} unsynced={connection.unsynced} notify={notify} />
        </Show>
        <Show when={props.kind === 'transcript'}>
          <SubtitlesMenu
            documentId={props.documentId}
            title={props.title}
            unsynced={connection.unsynced}
            readOnly={() => readOnlyReason() !== null}
            notify={notify}
          />
        </Show>
        <PresenceAvatars peers={peers} />
        <ConnectionBadge state={state} unsynced={connection.unsynced} />
      </header>
      <Show when={connection.ended()}>
        {(ended) => (
          <div class="banner error" role="alert" data-testid="connection-ended" data-code={ended().code}>
            <strong>{ended().message}</strong>
            <Show
              when={ended().code === 4401}
              fallback={
                <a class="button" href={`/projects/${props.projectId}`}>
                  Back to the project
                </a>
              }
            >
              <a class="button" href="/">
                Sign in
              </a>
            </Show>
          </div>
        )}
      </Show>
      <Show when={!connection.ended() && readOnlyReason()}>
        <div class="banner info" data-testid="read-only-banner">
          {readOnlyReason()}
        </div>
      </Show>
      <Show when={message()}>
        <div class="toast" role="status" data-testid="toast">
          {message()}
        </div>
      </Show>
      <Show
        when={connection.loaded()}
        fallback={
          <Show when={!connection.ended()}>
            <div class="loading">
              {connection.status() === 'connected' ? 'Loading document…' : 'Connecting to the collaboration server…'}
            </div>
          </Show>
        }
      >
        <Suspense fallback={<div class="loading">Loading the editor…</div>}>
          <Switch fallback={<div class="fatal">This kind of document opens in the QA review workspace.</div>}>
            <Match when={props.kind === 'timeline'}>
              <TimelineEditor ctx={ctx} />
            </Match>
            <Match when={props.kind === 'transcript'}>
              <TranscriptEditor ctx={ctx} />
            </Match>
            <Match when={props.kind === 'retell'}>
              <RetellEditor ctx={ctx} />
            </Match>
          </Switch>
        </Suspense>
      </Show>
    </div>
  )
}
