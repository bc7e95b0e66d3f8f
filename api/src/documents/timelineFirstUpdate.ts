import { SERVER_ORIGIN, timeline } from '@cutroom/schema'
import * as Y from 'yjs'

/**
 * The first entry of a new timeline's update log: the model's genesis with the project's frame rate and sample
 * rate set in `meta`. The genesis is frozen (identical bytes everywhere, 30000/1001), so the project's settings
 * are a change made after it; written with the document row, the timeline is never seen at another rate.
 */
export function timelineFirstUpdate(project: { fpsNum: number; fpsDen: number; sampleRate: number }): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, timeline.genesis())
  timeline.setMeta(
    doc,
    { fps: { num: project.fpsNum, den: project.fpsDen }, sampleRate: project.sampleRate },
    SERVER_ORIGIN,
  )
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}
