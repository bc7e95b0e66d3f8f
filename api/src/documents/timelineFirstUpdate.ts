import { SERVER_ORIGIN, timeline } from '@cutroom/schema'
import * as Y from 'yjs'

/**
 * The first entry of a new timeline's update log: the model's genesis with the project's frame rate and sample
 * rate set in `meta`. The genesis is frozen (identical bytes everywhere, 30000/1001), so the project's settings
 * are a change made after it; written with the document row, the timeline is never seen at another rate.
 * `fill` writes the content of a timeline that is born with some (an assembled retell), in the same entry.
 */
export function timelineFirstUpdate(
  project: { fpsNum: number; fpsDen: number; sampleRate: number },
  fill?: (doc: Y.Doc) => void,
): Uint8Array {
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, timeline.genesis())
    timeline.setMeta(
      doc,
      { fps: { num: project.fpsNum, den: project.fpsDen }, sampleRate: project.sampleRate },
      SERVER_ORIGIN,
    )
    fill?.(doc)
    return Y.encodeStateAsUpdate(doc)
  } finally {
    doc.destroy()
  }
}
