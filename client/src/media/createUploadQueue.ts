import { type Accessor, createSignal } from 'solid-js'
import { apiErrorMessage } from '../lib/api'
import { billingChanged } from '../lib/billingChanged'
import { type UploadProgress, uploadAsset } from './uploadAsset'
import { pendingUploads, type UploadRecord } from './uploadRecords'

export interface Upload {
  key: string
  file: File
  /** Uploaded as a new version of this asset's stack. */
  versionOf: { assetId: string; name: string } | null
  progress: UploadProgress
  error: string | null
  paused: boolean
  controller: AbortController
}

export interface UploadQueue {
  uploads: Accessor<Upload[]>
  /** Multipart uploads of this project that stopped (a reload, a closed tab) and can resume. */
  unfinished: Accessor<UploadRecord[]>
  refreshUnfinished(): void
  /** Starts uploading each file; with `versionOf`, as the next version of that asset. */
  add(files: FileList | File[], versionOf?: { assetId: string; name: string }): void
  resume(upload: Upload): void
}

/**
 * The uploads of one project in progress, with their progress and errors: shared by the drop zone, the asset
 * list and the media bin, so a file dropped anywhere shows its progress and refreshes the assets when done.
 */
export function createUploadQueue(projectId: () => string, onUploaded?: (assetId: string) => void): UploadQueue {
  const [uploads, setUploads] = createSignal<Upload[]>([])
  const [unfinished, setUnfinished] = createSignal<UploadRecord[]>(pendingUploads(projectId()))
  const refreshUnfinished = () => setUnfinished(pendingUploads(projectId()))
  const update = (key: string, patch: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)))

  const run = async (u: Upload) => {
    update(u.key, { error: null, paused: false })
    try {
      const { assetId } = await uploadAsset(projectId(), u.file, {
        signal: u.controller.signal,
        versionOf: u.versionOf?.assetId,
        onProgress: (progress) => update(u.key, { progress }),
      })
      setUploads((list) => list.filter((x) => x.key !== u.key))
      refreshUnfinished()
      billingChanged()
      onUploaded?.(assetId)
    } catch (err) {
      if ((err as Error).name === 'AbortError') update(u.key, { paused: true })
      else update(u.key, { error: apiErrorMessage(err) })
      refreshUnfinished()
      billingChanged()
    }
  }

  return {
    uploads,
    unfinished,
    refreshUnfinished,
    add(files, versionOf) {
      for (const file of Array.from(files)) {
        const u: Upload = {
          key: `${file.name}:${file.size}:${file.lastModified}:${Math.random()}`,
          file,
          versionOf: versionOf ?? null,
          progress: { sentBytes: 0, totalBytes: file.size, stage: 'starting' },
          error: null,
          paused: false,
          controller: new AbortController(),
        }
        setUploads((list) => [...list, u])
        void run(u)
      }
    },
    resume(u) {
      const fresh = { ...u, controller: new AbortController() }
      setUploads((list) => list.map((x) => (x.key === u.key ? fresh : x)))
      void run(fresh)
    },
  }
}
