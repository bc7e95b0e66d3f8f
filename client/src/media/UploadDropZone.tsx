import { createSignal, For, Show } from 'solid-js'
import { apiErrorMessage } from '../lib/api'
import { type UploadProgress, uploadAsset } from './uploadAsset'
import { forgetUploadRecord, pendingUploads, type UploadRecord } from './uploadRecords'
import './media.css'

interface Upload {
  key: string
  file: File
  progress: UploadProgress
  error: string | null
  paused: boolean
  controller: AbortController
}

function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

/**
 * Upload button and drop zone: files go straight to S3 with a progress bar each; large files in parts that
 * resume after a pause, a network error or a page reload (choose the same file again).
 */
export function UploadDropZone(props: { projectId: string; onUploaded?: (assetId: string) => void; disabled?: boolean }) {
  const [uploads, setUploads] = createSignal<Upload[]>([])
  const [unfinished, setUnfinished] = createSignal<UploadRecord[]>(pendingUploads(props.projectId))
  const [dragging, setDragging] = createSignal(false)
  let input: HTMLInputElement | undefined

  const update = (key: string, patch: Partial<Upload>) => setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)))

  const run = async (u: Upload) => {
    update(u.key, { error: null, paused: false })
    try {
      const { assetId } = await uploadAsset(props.projectId, u.file, {
        signal: u.controller.signal,
        onProgress: (progress) => update(u.key, { progress }),
      })
      setUploads((list) => list.filter((x) => x.key !== u.key))
      setUnfinished(pendingUploads(props.projectId))
      props.onUploaded?.(assetId)
    } catch (err) {
      if ((err as Error).name === 'AbortError') update(u.key, { paused: true })
      else update(u.key, { error: apiErrorMessage(err) })
      setUnfinished(pendingUploads(props.projectId))
    }
  }

  const add = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const u: Upload = {
        key: `${file.name}:${file.size}:${file.lastModified}:${Math.random()}`,
        file,
        progress: { sentBytes: 0, totalBytes: file.size, stage: 'starting' },
        error: null,
        paused: false,
        controller: new AbortController(),
      }
      setUploads((list) => [...list, u])
      void run(u)
    }
  }

  const resume = (u: Upload) => {
    const fresh = { ...u, controller: new AbortController() }
    setUploads((list) => list.map((x) => (x.key === u.key ? fresh : x)))
    void run(fresh)
  }

  return (
    <div class="upload">
      <section
        class="drop-zone"
        aria-label="Upload media"
        classList={{ dragging: dragging(), disabled: props.disabled }}
        data-testid="upload-drop-zone"
        onDragOver={(e) => {
          e.preventDefault()
          if (!props.disabled) setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault()
          setDragging(false)
          if (!props.disabled && e.dataTransfer?.files.length) add(e.dataTransfer.files)
        }}
      >
        <span>Drop video or audio files here, or</span>
        <button type="button" class="primary small" disabled={props.disabled} onClick={() => input?.click()}>
          Upload media
        </button>
        <input
          ref={input}
          type="file"
          accept="video/*,audio/*,.mxf,.mkv"
          multiple
          hidden
          data-testid="upload-input"
          onChange={(e) => {
            if (e.currentTarget.files?.length) add(e.currentTarget.files)
            e.currentTarget.value = ''
          }}
        />
      </section>
      <Show when={unfinished().some((r) => !uploads().some((u) => u.file.name === r.name && u.file.size === r.size))}>
        <ul class="upload-unfinished">
          <For each={unfinished().filter((r) => !uploads().some((u) => u.file.name === r.name && u.file.size === r.size))}>
            {(r) => (
              <li>
                <span>
                  {r.name} ({formatBytes(r.size)}) is unfinished: choose it again to resume
                </span>
                <button type="button" class="ghost small" onClick={() => input?.click()}>
                  Choose
                </button>
                <button
                  type="button"
                  class="ghost small"
                  onClick={() => {
                    forgetUploadRecord(r)
                    setUnfinished(pendingUploads(props.projectId))
                  }}
                >
                  Forget
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <ul class="upload-list">
        <For each={uploads()}>
          {(u) => {
            const pct = () => (u.progress.totalBytes ? (u.progress.sentBytes / u.progress.totalBytes) * 100 : 0)
            return (
              <li class="upload-item" data-testid="upload-item">
                <div class="job-row">
                  <span class="upload-name" title={u.file.name}>
                    {u.file.name}
                  </span>
                  <span class="muted small">
                    {u.error ? 'failed' : u.paused ? 'paused' : u.progress.stage === 'completing' ? 'finishing…' : `${pct().toFixed(0)}%`} ·{' '}
                    {formatBytes(u.progress.sentBytes)} / {formatBytes(u.progress.totalBytes)}
                  </span>
                  <Show
                    when={u.error || u.paused}
                    fallback={
                      <button type="button" class="ghost small" onClick={() => u.controller.abort()}>
                        Pause
                      </button>
                    }
                  >
                    <button type="button" class="ghost small" onClick={() => resume(u)}>
                      Resume
                    </button>
                  </Show>
                </div>
                <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct())}>
                  <div class="progress-fill" style={{ width: `${pct().toFixed(1)}%` }} />
                </div>
                <Show when={u.error}>
                  <p class="job-error" role="alert">
                    {u.error}
                  </p>
                </Show>
              </li>
            )
          }}
        </For>
      </ul>
    </div>
  )
}
