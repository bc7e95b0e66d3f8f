import type { timeline } from '@cutroom/schema'

/**
 * The authenticated URL of a file inside an artifact, served by the api: `/media/<artifactId>/<file>`.
 * Without `file`, the artifact's own object (the last segment of its key).
 */
export function artifactUrl(ref: timeline.ArtifactRef, file?: string): string {
  const name = file ?? ref.key.slice(ref.key.lastIndexOf('/') + 1)
  return `/media/${encodeURIComponent(ref.artifactId)}/${name.split('/').map(encodeURIComponent).join('/')}`
}
