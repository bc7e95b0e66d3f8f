import { CutroomError, LOCAL_ORIGIN, sampleRangesToFrames, timeline, transcript } from '@cutroom/schema'
import { type Accessor, createMemo, createSignal, onCleanup, Show } from 'solid-js'
import * as Y from 'yjs'
import type { EditorContext } from './EditorContext'
import { LinkedTimeline, type LinkedTimelineHandle } from './LinkedTimeline'
import type { TranscriptClock } from './transcriptClock'

type Timing = transcript.WordTiming
type ParagraphWord = ReturnType<typeof transcript.readParagraphWords>[number]

/**
 * Turns words deleted from the transcript into ripple cuts on a timeline. The reference word list is every word
 * this tab has seen since it opened the transcript (or since the last apply), so words anyone deleted in that
 * time are cut once, and words typed later are never cut.
 */
export function ApplyDeletionsPanel(props: {
  ctx: EditorContext
  assetId: Accessor<string | null>
  clock: Accessor<TranscriptClock>
}) {
  const { doc } = props.ctx
  const key = (w: Timing) => `${w.start}:${w.end}`
  /** Every timed word seen since the transcript was opened (or the last apply), by timing. */
  const seen = new Map<string, Timing>()
  /** How many words in the document carry each timing now. */
  const present = new Map<string, number>()
  /** The words each paragraph had at the last refresh: only paragraphs that changed since are read again. */
  let read = new Map<Y.XmlElement, ParagraphWord[]>()
  const dirty = new Set<Y.XmlElement>()
  // Bumped when a word's presence changed (deleted, restored, re-timed): the cut list is recomputed only then,
  // not for every letter typed.
  const [presence, setPresence] = createSignal(0)
  const [message, setMessage] = createSignal<string | null>(null)

  const refresh = () => {
    const touched = new Map<string, number>()
    const count = (k: string, by: number) => {
      const was = present.get(k) ?? 0
      if (!touched.has(k)) touched.set(k, was)
      if (was + by === 0) present.delete(k)
      else present.set(k, was + by)
    }
    /** Old timing keys whose word sits in the same place with another timing (an align job re-timed it). */
    const retimed: string[] = []
    const next = new Map<Y.XmlElement, ParagraphWord[]>()
    for (const p of transcript.paragraphElements(doc)) {
      const before = read.get(p)
      if (before && !dirty.has(p)) {
        next.set(p, before)
        continue
      }
      const words = transcript.readParagraphWords(p)
      const place = (w: ParagraphWord) => `${w.offset}:${w.text}`
      const was = new Map((before ?? []).map((w) => [place(w), key(w)]))
      for (const w of before ?? []) count(key(w), -1)
      for (const w of words) {
        count(key(w), 1)
        const old = was.get(place(w))
        if (old && old !== key(w)) retimed.push(old)
        if (!seen.has(key(w))) seen.set(key(w), { start: w.start, end: w.end, confidence: w.confidence })
      }
      next.set(p, words)
    }
    // Paragraphs that are gone take their words with them.
    for (const [p, words] of read) if (!next.has(p)) for (const w of words) count(key(w), -1)
    read = next
    dirty.clear()
    let changed = false
    for (const k of retimed) if (!present.has(k) && seen.delete(k)) changed = true
    for (const [k, was] of touched) if (was > 0 !== present.has(k)) changed = true
    if (changed) setPresence((v) => v + 1)
  }
  refresh()
  // Changes are noted per paragraph as they come; reading the changed paragraphs waits up to 400 ms, so a steady
  // stream of edits (a transcript filling in live, a collaborator typing) never holds the count back and a long
  // transcript is never read whole per keystroke.
  const body = transcript.bodyOf(doc)
  const noteChanges = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    for (const event of events) {
      let node: Y.AbstractType<unknown> | null = event.target
      while (node && node.parent !== body) node = node.parent as Y.AbstractType<unknown> | null
      if (node instanceof Y.XmlElement) dirty.add(node)
    }
    schedule()
  }
  let timer = 0
  const schedule = () => {
    if (timer) return
    timer = window.setTimeout(() => {
      timer = 0
      refresh()
    }, 400)
  }
  body.observeDeep(noteChanges)
  onCleanup(() => {
    clearTimeout(timer)
    body.unobserveDeep(noteChanges)
  })

  const pending = createMemo(() => {
    presence()
    const original = [...seen.values()].sort((a, b) => a.start - b.start)
    const kept = original.filter((w) => present.has(key(w)))
    return {
      deleted: original.length - kept.length,
      ranges: transcript.cutRangesForDeletedWords(original, kept),
    }
  })

  const apply = (linked: LinkedTimelineHandle) => {
    refresh()
    const assetId = props.assetId()
    if (!assetId) {
      setMessage('This transcript is not linked to an asset, so there is nothing to cut.')
      return
    }
    const fps = timeline.getMeta(linked.doc).fps
    const frames = sampleRangesToFrames(pending().ranges, props.clock().unitsPerSecond, fps)
    try {
      const removed = timeline.rippleCutSource(linked.doc, assetId, frames, LOCAL_ORIGIN)
      // What was applied becomes the new reference, so the same words are never cut twice.
      seen.clear()
      for (const words of read.values())
        for (const w of words) seen.set(key(w), { start: w.start, end: w.end, confidence: w.confidence })
      setPresence((v) => v + 1)
      setMessage(
        removed > 0
          ? `Cut ${removed} frames from "${linked.title}".`
          : `"${linked.title}" has no clip of this asset covering the deleted words.`,
      )
    } catch (error) {
      setMessage(error instanceof CutroomError ? error.message : String(error))
    }
  }

  return (
    <div class="apply-deletions">
      <header class="panel-head">
        <span>Apply deletions to a timeline</span>
      </header>
      <p class="muted small" data-testid="pending-deletions">
        {pending().deleted === 0
          ? 'No words deleted since you opened this transcript.'
          : `${pending().deleted} deleted word${pending().deleted === 1 ? '' : 's'} → ${pending().ranges.length} cut${pending().ranges.length === 1 ? '' : 's'}`}
      </p>
      <LinkedTimeline projectId={props.ctx.projectId} collabUrl={props.ctx.collabUrl}>
        {(linked) => (
          <button
            type="button"
            class="primary"
            data-testid="apply-deletions"
            disabled={props.ctx.readOnly() || linked.connection.readOnly() || pending().ranges.length === 0}
            onClick={() => apply(linked)}
          >
            Apply {pending().ranges.length || ''} cut{pending().ranges.length === 1 ? '' : 's'} to “{linked.title}”
          </button>
        )}
      </LinkedTimeline>
      <Show when={message()}>
        <p class="small">{message()}</p>
      </Show>
    </div>
  )
}
