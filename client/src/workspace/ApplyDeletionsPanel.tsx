import { CutroomError, LOCAL_ORIGIN, sampleRangesToFrames, timeline, transcript } from '@cutroom/schema'
import { type Accessor, createMemo, createSignal, onCleanup, Show } from 'solid-js'
import type { EditorContext } from './EditorContext'
import { LinkedTimeline, type LinkedTimelineHandle } from './LinkedTimeline'
import type { TranscriptClock } from './transcriptClock'

type Timing = transcript.WordTiming

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
  const seen = new Map<string, Timing>()
  const [current, setCurrent] = createSignal<Timing[]>([])
  const [message, setMessage] = createSignal<string | null>(null)

  /** Where each word was at the last refresh (paragraph, offset, text) -> its timing key. */
  let places = new Map<string, string>()
  const refresh = () => {
    const words = transcript.readWords(doc)
    const keys = new Set(words.map(key))
    const next = new Map<string, string>()
    for (const w of words) {
      const place = `${w.paragraph}:${w.offset}:${w.text}`
      // the same word in the same place with a new timing was re-timed (an align job), not deleted
      const was = places.get(place)
      if (was && was !== key(w) && !keys.has(was)) seen.delete(was)
      next.set(place, key(w))
      if (!seen.has(key(w))) seen.set(key(w), { start: w.start, end: w.end, confidence: w.confidence })
    }
    places = next
    setCurrent(words)
  }
  refresh()
  // Reading every word is O(words): do it at most every 400 ms, not on every keystroke of a long transcript. The
  // first change starts the wait and later ones join it, so a steady stream of edits (a transcript filling in
  // live, a collaborator typing) never holds the count back.
  let timer = 0
  const schedule = () => {
    if (timer) return
    timer = window.setTimeout(() => {
      timer = 0
      refresh()
    }, 400)
  }
  doc.on('update', schedule)
  onCleanup(() => {
    clearTimeout(timer)
    doc.off('update', schedule)
  })

  const pending = createMemo(() => {
    const words = current()
    const original = [...seen.values()].sort((a, b) => a.start - b.start)
    const kept = new Set(words.map(key))
    return {
      deleted: original.filter((w) => !kept.has(key(w))).length,
      ranges: transcript.cutRangesForDeletedWords(original, words),
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
      refresh()
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
