import { api } from '../lib/api'
import { putWithProgress } from './putWithProgress'
import { findUploadRecord, forgetUploadRecord, saveUploadRecord, type UploadRecord } from './uploadRecords'

export interface UploadProgress {
  sentBytes: number
  totalBytes: number
  stage: 'starting' | 'uploading' | 'completing' | 'done'
}

/** Parts in flight at once: enough to fill a link, few enough that a stall costs little. */
const PARALLEL_PARTS = 3

/**
 * Uploads a file to the project straight to S3 (presigned PUT, or presigned multipart for large files) and
 * completes it, which starts processing. A multipart upload of the same file resumes where it stopped, even
 * after a reload: finished parts are remembered in localStorage and checked against the server.
 */
export async function uploadAsset(
  projectId: string,
  file: File,
  opts: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void } = {},
): Promise<{ assetId: string }> {
  const report = (sentBytes: number, stage: UploadProgress['stage']) => opts.onProgress?.({ sentBytes, totalBytes: file.size, stage })
  report(0, 'starting')
  const contentType = file.type || guessType(file.name)

  let record = findUploadRecord(projectId, file)
  let plan: Awaited<ReturnType<typeof api.assets.resumeUpload.mutate>> | null = null
  if (record) {
    plan = await api.assets.resumeUpload.mutate({ assetId: record.assetId }).catch(() => null)
    if (!plan) {
      forgetUploadRecord(record)
      record = null
    }
  }
  if (!plan || !record) {
    const started = await api.assets.createUpload.mutate({ projectId, filename: file.name, size: file.size, contentType })
    record = { assetId: started.asset.id, projectId, name: file.name, size: file.size, lastModified: file.lastModified, parts: {}, startedAt: Date.now() }
    plan = started.upload.mode === 'single' ? started.upload : { ...started.upload, uploadedParts: [] }
  }
  const rec: UploadRecord = record
  saveUploadRecord(rec)

  if (plan.mode === 'single') {
    await putWithProgress(plan.url, file, { headers: plan.headers, signal: opts.signal, onProgress: (b) => report(b, 'uploading') })
  } else {
    const partSize = plan.partSize
    // the server's list wins where it has one (s3rver has none: then our own record)
    if (plan.uploadedParts) {
      rec.parts = {}
      for (const p of plan.uploadedParts) rec.parts[p.partNumber] = p.etag
    }
    const sizeOf = (n: number) => Math.min(partSize, file.size - (n - 1) * partSize)
    const inFlight = new Map<number, number>()
    const doneBytes = () => Object.keys(rec.parts).reduce((s, n) => s + sizeOf(Number(n)), 0)
    const tick = () => report(doneBytes() + [...inFlight.values()].reduce((a, b) => a + b, 0), 'uploading')
    tick()
    const todo = plan.parts.filter((p) => !rec.parts[p.partNumber])
    let next = 0
    const lane = async () => {
      while (next < todo.length) {
        const part = todo[next++]!
        const blob = file.slice((part.partNumber - 1) * partSize, part.partNumber * partSize)
        inFlight.set(part.partNumber, 0)
        const etag = await putWithProgress(part.url, blob, {
          signal: opts.signal,
          onProgress: (b) => {
            inFlight.set(part.partNumber, b)
            tick()
          },
        })
        inFlight.delete(part.partNumber)
        rec.parts[part.partNumber] = etag
        saveUploadRecord(rec)
        tick()
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, todo.length) }, lane))
  }
  report(file.size, 'completing')
  const parts = Object.entries(rec.parts).map(([n, etag]) => ({ partNumber: Number(n), etag }))
  await api.assets.completeUpload.mutate({ assetId: rec.assetId, parts: plan.mode === 'multipart' ? parts : undefined })
  forgetUploadRecord(rec)
  report(file.size, 'done')
  return { assetId: rec.assetId }
}

/** Browsers leave `type` empty for some containers; the server checks the type, so name the common ones. */
function guessType(name: string): string {
  const ext = name.split('.').pop()?.toLowerCase() ?? ''
  const types: Record<string, string> = {
    mp4: 'video/mp4',
    m4v: 'video/mp4',
    mov: 'video/quicktime',
    mkv: 'video/x-matroska',
    webm: 'video/webm',
    mxf: 'application/mxf',
    wav: 'audio/wav',
    mp3: 'audio/mpeg',
    m4a: 'audio/mp4',
    aac: 'audio/aac',
    flac: 'audio/flac',
  }
  return types[ext] ?? 'application/octet-stream'
}
