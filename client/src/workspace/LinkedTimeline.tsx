import { documentName } from '@cutroom/schema'
import { createMemo, createResource, createSignal, For, type JSX, Show } from 'solid-js'
import type * as Y from 'yjs'
import { api } from '../lib/api'
import type { Peer } from './createAwarenessPeers'
import { createAwarenessPeers } from './createAwarenessPeers'
import { createProvider, type ProviderState } from './createProvider'

export interface LinkedTimelineHandle {
  doc: Y.Doc
  connection: ProviderState
  peers: () => Peer[]
  title: string
}

/**
 * Picks one of the project's timelines and keeps a live connection to it while shown, so a transcript or retell
 * script can read its clips and selection or cut it.
 */
export function LinkedTimeline(props: {
  projectId: string
  collabUrl: string
  /** The timeline chosen in the document itself (e.g. a retell script's link); the picker follows it. */
  value?: string | null
  onChoose?: (timelineId: string | null) => void
  hint?: string
  children: (timeline: LinkedTimelineHandle) => JSX.Element
}) {
  const [timelines] = createResource(
    () => props.projectId,
    async (projectId) => (await api.documents.list.query({ projectId })).filter((d) => d.kind === 'timeline'),
  )
  const [picked, setChosen] = createSignal<{ id: string; title: string } | null>(null)
  // this person's pick first (a viewer cannot write the link), else the document's own link
  const chosen = createMemo(() => {
    if (picked() || !props.value) return picked()
    const row = timelines.latest?.find((t) => t.id === props.value)
    return row ? { id: row.id, title: row.title } : null
  })
  return (
    <div class="linked-timeline">
      <label class="field">
        <span>Timeline</span>
        <select
          data-testid="linked-timeline"
          onChange={(e) => {
            const id = e.currentTarget.value
            const row = timelines.latest?.find((t) => t.id === id)
            setChosen(row ? { id: row.id, title: row.title } : null)
            props.onChoose?.(row ? row.id : null)
          }}
        >
          <option value="">Choose a timeline…</option>
          <For each={timelines.latest ?? []}>
            {(t) => (
              <option value={t.id} selected={chosen()?.id === t.id}>
                {t.title}
              </option>
            )}
          </For>
        </select>
      </label>
      <Show when={props.hint && chosen()}>
        <p class="muted small">{props.hint}</p>
      </Show>
      <Show when={chosen()} keyed>
        {(choice) => (
          <LinkedConnection id={choice.id} title={choice.title} collabUrl={props.collabUrl} render={props.children} />
        )}
      </Show>
    </div>
  )
}

function LinkedConnection(props: {
  id: string
  title: string
  collabUrl: string
  render: (timeline: LinkedTimelineHandle) => JSX.Element
}) {
  const connection = createProvider({ url: props.collabUrl, name: documentName(props.id) })
  const peers = createAwarenessPeers(connection.provider)
  return (
    <Show
      when={connection.loaded()}
      fallback={<p class="muted small">{connection.ended()?.message ?? 'Opening timeline…'}</p>}
    >
      {props.render({ doc: connection.doc, connection, peers, title: props.title })}
    </Show>
  )
}
