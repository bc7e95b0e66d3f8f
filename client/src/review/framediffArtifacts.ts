import type { qa } from '@cutroom/schema'
import { type HeatmapLayout, parseHeatmapLayout } from './heatmapTile'
import type { FrameScore } from './worstFrames'

/** The parts of the framediff `scores.json` the review room shows. */
export interface FramediffScores {
  compared: { from: number; to: number; frames: number; fps: { num: number; den: number } }
  versionA: { assetId: string; frames: number }
  versionB: { assetId: string; frames: number }
  notes: string[]
  summary: { meanSsim: number; minSsim: number; worstFrame: number; framesBelowThreshold: number; threshold: number }
  frames: FrameScore[]
}

/** The framediff results of a review: per-frame scores and the heatmap (sheet URLs by file name). */
export interface FramediffArtifacts {
  scores: FramediffScores
  heatmap: HeatmapLayout | null
  /** `/media/<heatmap artifact>/<file>`. */
  heatmapUrl: (file: string) => string
}

const mediaUrl = (artifactId: string, file: string) =>
  `/media/${encodeURIComponent(artifactId)}/${encodeURIComponent(file)}`

/**
 * The collab server writes the overlay as soon as the job's result event arrives, and the api records the
 * artifacts from the same event on its own: for a moment the files may answer 404, so that is retried.
 */
async function fetchLanded(url: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { credentials: 'same-origin' })
    if (response.ok || attempt >= 8 || (response.status !== 404 && response.status < 500)) return response
    await new Promise((resolve) => setTimeout(resolve, Math.min(4000, 250 * 2 ** attempt)))
  }
}

/**
 * Loads what the overlay reference in the qa document points at (written by the collab server when the framediff
 * job succeeded): `scores.json` and the heatmap layout.
 */
export async function loadFramediffArtifacts(overlay: qa.OverlayRef): Promise<FramediffArtifacts> {
  const meta = overlay.metadata as {
    scores?: { id: string } | null
    heatmap?: { id: string; layout?: unknown } | null
  }
  if (!meta.scores?.id) throw new Error('The comparison has no per-frame scores.')
  const response = await fetchLanded(mediaUrl(meta.scores.id, 'scores.json'))
  if (!response.ok) throw new Error(`The comparison scores could not be loaded (HTTP ${response.status}).`)
  const scores = (await response.json()) as FramediffScores
  if (!Array.isArray(scores.frames)) throw new Error('The comparison scores are not readable.')
  const heatmapId = meta.heatmap?.id ?? overlay.artifactId
  return {
    scores,
    heatmap: parseHeatmapLayout(meta.heatmap?.layout),
    heatmapUrl: (file) => mediaUrl(heatmapId, file),
  }
}
