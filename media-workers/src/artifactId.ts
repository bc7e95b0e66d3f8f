import { createHash } from 'node:crypto'

/**
 * A stable artifact id per job and slot: a redelivered or retried job writes to the same S3 prefix and
 * reports the same reference, so documents and rows see the same artifact, never a second one.
 */
export function artifactId(jobId: string, slot: string): string {
  const h = createHash('sha256').update(`${jobId}:${slot}`).digest()
  h[6] = (h[6]! & 0x0f) | 0x50 // version 5-style
  h[8] = (h[8]! & 0x3f) | 0x80 // RFC 4122 variant
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

/** `orgs/<org>/projects/<project>/assets/<asset>/artifacts/<artifact>` */
export function artifactPrefix(orgId: string, projectId: string, assetId: string, id: string): string {
  return `orgs/${orgId}/projects/${projectId}/assets/${assetId}/artifacts/${id}`
}
