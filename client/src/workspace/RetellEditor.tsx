import { retell, timeline } from '@cutroom/schema'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import Document from '@tiptap/extension-document'
import Paragraph from '@tiptap/extension-paragraph'
import Placeholder from '@tiptap/extension-placeholder'
import Text from '@tiptap/extension-text'
import { createMemo, createSignal, For, Show } from 'solid-js'
import { createDocSignal } from './createDocSignal'
import { createTiptapEditor, keepEditorFocus } from './createTiptapEditor'
import { AssembleTimelineBar } from './AssembleTimelineBar'
import type { EditorContext } from './EditorContext'
import { LinkedTimeline, type LinkedTimelineHandle } from './LinkedTimeline'
import { NarrationPanel } from './NarrationPanel'
import { RetellDraftBar } from './RetellDraftBar'
import { Chapter, DraftBlocks, Narration, ShotReference } from './RetellNodes'
import { formatTimecode } from './timecode'

/**
 * The retell (narration) script: chapters, narration blocks and shot references, co-edited with live carets.
 * Shots come from a timeline: the clips you selected there are pre-checked.
 */
export function RetellEditor(props: { ctx: EditorContext }) {
  const { doc, provider, user } = props.ctx
  const [host, setHost] = createSignal<HTMLElement>()
  const editor = createTiptapEditor(
    host,
    () => ({
      extensions: [
        Document.extend({ content: 'block+' }),
        Paragraph,
        Text,
        Chapter,
        Narration,
        ShotReference,
        DraftBlocks,
        Placeholder.configure({
          includeChildren: false,
          placeholder: ({ node }) =>
            node.type.name === 'chapter'
              ? 'Chapter title'
              : node.type.name === 'narration'
                ? 'Narration: what the voice says here'
                : 'Add a chapter, then write narration and insert shots from a timeline.',
        }),
        Collaboration.configure({ fragment: doc.getXmlFragment('body') }),
        CollaborationCaret.configure({ provider, user }),
      ],
      editorProps: { attributes: { class: 'retell-body', 'data-testid': 'retell-editor' } },
    }),
    () => !props.ctx.readOnly(),
  )

  const insertBlock = (type: 'chapter' | 'narration') => {
    const instance = editor()
    if (!instance) return
    // An empty block with the caret in it: its hint says what to write. The view takes the focus now, not on
    // the next frame as the chain's focus() would, so the first key typed lands in the new block.
    instance.view.focus()
    instance
      .chain()
      .insertContent(type === 'narration' ? { type, attrs: { id: crypto.randomUUID() } } : { type })
      .scrollIntoView()
      .run()
  }

  // The linked timeline is part of the script (meta.timelineId): its narration track follows the synthesized blocks.
  const linkedId = createDocSignal(doc, (d) => retell.linkedTimelineId(d))
  const link = (timelineId: string | null) => {
    if (!props.ctx.readOnly()) retell.setLinkedTimeline(doc, timelineId)
  }

  const insertShots = (shots: { assetId: string; sourceIn: number; sourceOut: number; label: string }[]) => {
    const instance = editor()
    if (!instance || shots.length === 0) return
    instance.view.focus()
    instance
      .chain()
      .insertContent(shots.map((attrs) => ({ type: 'shot', attrs })))
      .scrollIntoView()
      .run()
  }

  return (
    <div class="text-editor-layout">
      <main class="text-editor-main">
        <div class="text-toolbar" role="toolbar" aria-label="Script tools" onMouseDown={keepEditorFocus}>
          <button type="button" disabled={props.ctx.readOnly()} onClick={() => insertBlock('chapter')}>
            + Chapter
          </button>
          <button type="button" disabled={props.ctx.readOnly()} onClick={() => insertBlock('narration')}>
            + Narration
          </button>
          <button type="button" disabled={props.ctx.readOnly()} onClick={() => editor()?.commands.undo()}>
            Undo
          </button>
          <button type="button" disabled={props.ctx.readOnly()} onClick={() => editor()?.commands.redo()}>
            Redo
          </button>
        </div>
        <RetellDraftBar
          projectId={props.ctx.projectId}
          documentId={props.ctx.documentId}
          doc={doc}
          readOnly={props.ctx.readOnly()}
        />
        <AssembleTimelineBar
          projectId={props.ctx.projectId}
          documentId={props.ctx.documentId}
          readOnly={props.ctx.readOnly()}
        />
        <div class="text-scroll">
          <div ref={setHost} class="text-page" />
        </div>
      </main>
      <aside class="panel side-right">
        <header class="panel-head">
          <span>Narration</span>
        </header>
        <NarrationPanel ctx={props.ctx} />
        <header class="panel-head sub">
          <span>Shots from a timeline</span>
        </header>
        <LinkedTimeline
          projectId={props.ctx.projectId}
          collabUrl={props.ctx.collabUrl}
          value={linkedId()}
          onChoose={link}
          hint="Its narration track follows the synthesized blocks."
        >
          {(linked) => (
            <ShotPicker linked={linked} userId={user.id} readOnly={props.ctx.readOnly()} onInsert={insertShots} />
          )}
        </LinkedTimeline>
      </aside>
    </div>
  )
}

function ShotPicker(props: {
  linked: LinkedTimelineHandle
  userId: string
  readOnly: boolean
  onInsert: (shots: { assetId: string; sourceIn: number; sourceOut: number; label: string }[]) => void
}) {
  const clips = createDocSignal(props.linked.doc, (d) => {
    const layout = timeline.tracksOf(d).length ? timeline.storylineLayout(d) : []
    return layout.filter((p): p is timeline.PlacedItem & timeline.ClipItem => p.kind === 'clip')
  })
  const rate = createDocSignal(props.linked.doc, (d) => timeline.getMeta(d).fps)
  // What this person has selected in that timeline (in another tab), from its awareness.
  const mySelection = createMemo(() => {
    const ids = new Set<string>()
    for (const peer of props.linked.peers())
      if (peer.user.id === props.userId) for (const id of peer.selection ?? []) ids.add(id)
    return ids
  })
  const [checked, setChecked] = createSignal<ReadonlySet<string>>(new Set())
  const isChecked = (id: string) => checked().has(id) || mySelection().has(id)
  const toggle = (id: string) => {
    const next = new Set(checked())
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setChecked(next)
  }
  const insert = () => {
    props.onInsert(
      clips()
        .filter((c) => isChecked(c.id))
        .map((c) => ({ assetId: c.assetId, sourceIn: c.sourceIn, sourceOut: c.sourceOut, label: c.label })),
    )
    setChecked(new Set<string>())
  }
  return (
    <div class="shot-picker">
      <ul class="clip-list">
        <For each={clips()} fallback={<li class="muted">This timeline has no clips yet.</li>}>
          {(clip) => (
            <li>
              <label>
                <input type="checkbox" checked={isChecked(clip.id)} onChange={() => toggle(clip.id)} />
                <span class="clip-name">{clip.label || 'Clip'}</span>
                <span class="muted mono small">{formatTimecode(clip.start, rate())}</span>
              </label>
            </li>
          )}
        </For>
      </ul>
      <Show when={!props.readOnly}>
        <button type="button" class="primary" disabled={!clips().some((c) => isChecked(c.id))} onClick={insert}>
          Insert selected shots
        </button>
      </Show>
    </div>
  )
}
