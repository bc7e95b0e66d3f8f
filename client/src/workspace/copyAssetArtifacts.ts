import { timeline, WORKER_PATCH_ORIGIN } from '@cutroom/schema'
import type * as Y from 'yjs'
import { api } from '../lib/api'

/** The artifact slots a timeline draws or plays. */
const TIMELINE_SLOTS = new Set(['hls', 'thumbnails', 'waveform'])

/**
 * Copies the artifacts an asset already has into the timeline it was just inserted into. The collab server
 * sets a job's artifacts only into timelines that use the asset when the job finishes, so an asset processed
 * before it was inserted would otherwise never show its filmstrip, waveform or proxy here. Written with the
 * workers' origin: idempotent, and never in anyone's undo stack.
 */
export async function copyAssetArtifacts(doc: Y.Doc, assetId: string): Promise<void> {
  const asset = await api.assets.get.query({ id: assetId }).catch(() => null)
  if (!asset) return
  // newest first: a proxy's full ladder comes after its fast preview rendition
  for (const a of [...asset.artifacts].reverse()) {
    if (!TIMELINE_SLOTS.has(a.slot) || timeline.getArtifact(doc, assetId, a.slot)) continue
    timeline.setArtifact(
      doc,
      {
        artifactId: a.id,
        slot: a.slot,
        assetId,
        key: a.key,
        contentType: a.contentType ?? '',
        metadata: (a.metadata ?? {}) as Record<string, unknown>,
      },
      WORKER_PATCH_ORIGIN,
    )
  }
}
