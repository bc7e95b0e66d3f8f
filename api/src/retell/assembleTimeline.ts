import { type retell, timeline } from '@cutroom/schema'
import type * as Y from 'yjs'
import { excerpt } from './excerpt'

type Block = retell.RetellBlock
type NarrationBlock = Extract<Block, { type: 'narration' }>

/** What `assembleTimeline` wrote, for the caller's reply and audit row. */
export interface AssemblySummary {
  clips: number
  /** Storyline length in frames: the sum of the shots' lengths. */
  durationFrames: number
  narration: number
  markers: number
  /** Placements a person may want to fix (narration running into the next block, narration after the last shot). */
  warnings: string[]
}

/**
 * Writes a retell script into an empty timeline, in the script's order:
 * - every shot becomes a storyline clip (same asset, source in and out, label), so the storyline is the shots
 *   back to back;
 * - every synthesized narration block becomes an item on a new narration track, anchored to the first shot that
 *   follows it (it moves with that shot); narration blocks with no shot between them play one after the other;
 *   its length is its audio's length on the frame grid, and it carries the audio artifact and the script's id;
 * - every chapter becomes a marker at the frame where its first shot starts.
 * Narration blocks without text are skipped; the caller has checked that every other one has current audio.
 */
export function assembleTimeline(
  doc: Y.Doc,
  blocks: readonly Block[],
  script: { id: string; sampleRate: number },
  origin: unknown,
): AssemblySummary {
  const { fps } = timeline.getMeta(doc)
  const warnings: string[] = []
  const voiced = (b: Block): b is NarrationBlock & { audioArtifactId: string; duration: number } =>
    b.type === 'narration' && !!b.audioArtifactId && !!b.duration && b.text.trim() !== ''
  const narrationTrack = blocks.some(voiced)
    ? timeline.addTrack(doc, { kind: 'narration', name: 'Narration' }, origin)
    : null

  let at = 0
  let clips = 0
  let markers = 0
  let lastClip: { id: string; duration: number } | null = null
  // narration waiting for the shot it is anchored to, and where the previous narration ends (timeline frames)
  let waiting: { block: NarrationBlock & { audioArtifactId: string; duration: number }; frames: number }[] = []
  let voiceEnd = 0
  let previous: string | null = null
  let placed = 0
  const place = (anchor: { id: string; start: number }, offsetBase: number) => {
    let offset = offsetBase
    for (const { block, frames } of waiting) {
      const start = anchor.start + offset
      if (previous && start < voiceEnd)
        warnings.push(
          `Narration ${previous} runs ${(((voiceEnd - start) * fps.den) / fps.num).toFixed(1)} s into ${excerpt(block.text)}; add shots after it or shorten it.`,
        )
      timeline.addAnchoredItem(
        doc,
        {
          trackId: narrationTrack!,
          anchorId: anchor.id,
          offset,
          duration: frames,
          text: block.text.slice(0, 10_000),
          id: block.id,
          artifactId: block.audioArtifactId,
          scriptId: script.id,
        },
        origin,
      )
      placed++
      offset += frames
      voiceEnd = start + frames
      previous = excerpt(block.text)
    }
    waiting = []
  }

  for (const b of blocks) {
    if (b.type === 'shot') {
      const id = timeline.insertClip(
        doc,
        { at: { index: clips }, assetId: b.assetId, sourceIn: b.sourceIn, sourceOut: b.sourceOut, label: b.label },
        origin,
      )
      const duration = b.sourceOut - b.sourceIn
      place({ id, start: at }, 0)
      lastClip = { id, duration }
      clips++
      at += duration
    } else if (b.type === 'chapter') {
      // a chapter starts where its first shot will start
      timeline.addMarker(
        doc,
        { frame: at, label: (b.title.trim() || 'Chapter').slice(0, 500), color: 'purple' },
        origin,
      )
      markers++
    } else if (voiced(b)) {
      waiting.push({ block: b, frames: timeline.narrationFrames(b.duration, script.sampleRate, fps) })
    }
  }
  const trailing = waiting.length > 0
  if (trailing && lastClip) {
    warnings.push(
      `Narration ${excerpt(waiting[0]!.block.text)} comes after the last shot, so it plays after the picture ends; move it above a shot.`,
    )
    place({ id: lastClip.id, start: at - lastClip.duration }, lastClip.duration)
  }
  if (!trailing && previous && voiceEnd > at)
    warnings.push(
      `Narration ${previous} runs ${(((voiceEnd - at) * fps.den) / fps.num).toFixed(1)} s past the last shot, and the picture ends before it; add a shot after it or shorten it.`,
    )
  return { clips, durationFrames: at, narration: placed, markers, warnings }
}
