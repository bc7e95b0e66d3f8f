import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import Document from '@tiptap/extension-document'
import Text from '@tiptap/extension-text'
import { createMemo, createResource, createSignal, For, Show } from 'solid-js'
import { api } from '../lib/api'
import { ActiveWordHighlight, activeWordKey } from './ActiveWordHighlight'
import { ApplyDeletionsPanel } from './ApplyDeletionsPanel'
import { createTiptapEditor, keepEditorFocus } from './createTiptapEditor'
import { createYSignal } from './createYSignal'
import type { EditorContext } from './EditorContext'
import { SourcePlayer } from './SourcePlayer'
import { TranscribeBar } from './TranscribeBar'
import { TranscriptParagraph } from './TranscriptParagraph'
import { transcriptClock } from './transcriptClock'
import { WordMark } from './WordMark'

/**
 * The transcript editor: Tiptap bound to the transcript's `body` fragment with live carets. Clicking a word seeks
 * the player; the word being spoken is highlighted; typing inside a word keeps its timing.
 */
export function TranscriptEditor(props: { ctx: EditorContext }) {
  const { doc, provider, user } = props.ctx
  const meta = doc.getMap<unknown>('meta')
  const metaValues = createYSignal(meta, () => Object.fromEntries(meta.entries()) as Record<string, unknown>)
  const clock = () => transcriptClock(metaValues())
  const assetId = () => (typeof metaValues().assetId === 'string' ? (metaValues().assetId as string) : null)
  const asset = createMemo(() => props.ctx.assets().find((a) => a.id === assetId()) ?? null)
  // The transcript has no artifacts map of its own: the asset's HLS proxy comes from the api.
  const [assetDetail] = createResource(assetId, (id) => api.assets.get.query({ id }).catch(() => null))
  const media = () => {
    const hls = assetDetail.latest?.artifacts.findLast((a) => a.slot === 'hls')
    const sourceUrl = asset()?.sourceUrl ?? undefined
    return hls || sourceUrl ? { hlsUrl: hls?.url, sourceUrl } : null
  }
  const [seekTo, setSeekTo] = createSignal<number | null>(null)
  const [speakers, setSpeakers] = createSignal<string[]>([])
  const [host, setHost] = createSignal<HTMLElement>()
  let activeRange: [number, number] | null = null

  const editor = createTiptapEditor(
    host,
    () => ({
      extensions: [
        Document,
        TranscriptParagraph,
        Text,
        WordMark,
        ActiveWordHighlight,
        Collaboration.configure({ fragment: doc.getXmlFragment('body') }),
        CollaborationCaret.configure({ provider, user }),
      ],
      editorProps: {
        attributes: { class: 'transcript-body', 'data-testid': 'transcript-editor', spellcheck: 'false' },
        handleClick: (view, pos, event) => {
          if (!(event.target instanceof HTMLElement) || !event.target.closest('[data-word]')) return false
          const mark = view.state.doc
            .resolve(pos)
            .marks()
            .find((m) => m.type.name === 'word')
          if (typeof mark?.attrs.start !== 'number') return false
          const seconds = mark.attrs.start / clock().unitsPerSecond + 1e-3
          setSeekTo(seconds)
          onTime(seconds)
          return false
        },
      },
      onUpdate: ({ editor: e }) => refreshSpeakers(e.state.doc),
      onCreate: ({ editor: e }) => refreshSpeakers(e.state.doc),
    }),
    () => !props.ctx.readOnly(),
  )

  const refreshSpeakers = (node: import('@tiptap/pm/model').Node) => {
    const seen = new Set<string>()
    node.forEach((child) => {
      if (typeof child.attrs.speaker === 'string' && child.attrs.speaker) seen.add(child.attrs.speaker)
    })
    const next = [...seen]
    if (next.join('\n') !== speakers().join('\n')) setSpeakers(next)
  }

  /** Highlights the word under the player's time; dispatches only when the time leaves the current word. */
  const onTime = (seconds: number) => {
    const instance = editor()
    if (!instance) return
    const units = Math.floor(seconds * clock().unitsPerSecond)
    if (activeRange && units >= activeRange[0] && units < activeRange[1]) return
    instance.view.dispatch(instance.state.tr.setMeta(activeWordKey, units).setMeta('addToHistory', false))
    const active = instance.view.dom.querySelector('.word-active')
    const start = Number(active?.getAttribute('data-start'))
    const end = Number(active?.getAttribute('data-end'))
    activeRange = active && Number.isFinite(start) && Number.isFinite(end) ? [start, end] : null
  }

  const [realigning, setRealigning] = createSignal(false)
  /** An align job re-times the corrected words; its new times arrive live like any remote change. */
  const realign = async () => {
    setRealigning(true)
    try {
      const { jobId, words } = await api.transcripts.realign.mutate({ documentId: props.ctx.documentId })
      props.ctx.notify(
        jobId
          ? `Re-timing ${words} corrected word${words === 1 ? '' : 's'} from the audio…`
          : 'No corrected words to re-time.',
      )
    } catch (error) {
      props.ctx.notify(error instanceof Error ? error.message : String(error))
    } finally {
      setRealigning(false)
    }
  }

  const renameSpeaker = (from: string) => {
    const to = window.prompt(`Rename speaker "${from}" to`, from)?.trim()
    const instance = editor()
    if (!to || to === from || !instance) return
    const tr = instance.state.tr
    instance.state.doc.forEach((child, offset) => {
      if (child.attrs.speaker === from) tr.setNodeMarkup(offset, undefined, { ...child.attrs, speaker: to })
    })
    instance.view.dispatch(tr)
  }

  return (
    <div class="text-editor-layout">
      <aside class="panel side-left">
        <SourcePlayer media={media()} seekTo={seekTo()} onTime={onTime} label={asset()?.name ?? 'No asset linked'} />
        <header class="panel-head sub">
          <span>Speakers</span>
        </header>
        <ul class="speaker-list">
          <For each={speakers()} fallback={<li class="muted">No speakers yet</li>}>
            {(speaker) => (
              <li>
                <span>{speaker}</span>
                <Show when={!props.ctx.readOnly()}>
                  <button type="button" class="ghost small" onClick={() => renameSpeaker(speaker)}>
                    Rename
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </aside>
      <main class="text-editor-main">
        <div class="text-toolbar" role="toolbar" aria-label="Transcript tools" onMouseDown={keepEditorFocus}>
          <button
            type="button"
            disabled={props.ctx.readOnly()}
            onClick={() => editor()?.commands.undo()}
            title="Undo your last edit (Ctrl/Cmd+Z)"
          >
            Undo
          </button>
          <button
            type="button"
            disabled={props.ctx.readOnly()}
            onClick={() => editor()?.commands.redo()}
            title="Redo (Shift+Ctrl/Cmd+Z)"
          >
            Redo
          </button>
          <button
            type="button"
            data-testid="realign"
            disabled={props.ctx.readOnly() || realigning()}
            onClick={realign}
            title="Give the words you corrected their times from the audio; other words keep theirs"
          >
            Realign
          </button>
          <span class="muted small">
            Click a word to jump to it. Delete words, then apply the deletions to a timeline.
          </span>
        </div>
        <TranscribeBar ctx={props.ctx} assetId={assetId} />
        <div class="text-scroll">
          <div ref={setHost} class="text-page" />
        </div>
      </main>
      <aside class="panel side-right">
        <ApplyDeletionsPanel ctx={props.ctx} assetId={assetId} clock={clock} />
      </aside>
    </div>
  )
}
