import { createSignal, For, Show } from 'solid-js'
import { createUploadQueue, type UploadQueue } from './createUploadQueue'
import { formatBytes, UploadList } from './UploadList'
import { forgetUploadRecord } from './uploadRecords'
import './media.css'

/**
 * Upload button and drop zone: files go straight to S3 with a progress bar each; large files in parts that
 * resume after a pause, a network error or a page reload (choose the same file again). Pass `queue` to share the
 * uploads with other drop targets of the page (the asset list's "new version" drops).
 */
export function UploadDropZone(props: {
  projectId: string
  onUploaded?: (assetId: string) => void
  disabled?: boolean
  queue?: UploadQueue
}) {
  const queue =
    props.queue ??
    createUploadQueue(
      () => props.projectId,
      (id) => props.onUploaded?.(id),
    )
  const uploads = queue.uploads
  const unfinished = queue.unfinished
  const add = (files: FileList | File[]) => queue.add(files)
  const [dragging, setDragging] = createSignal(false)
  let input: HTMLInputElement | undefined

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
          <For
            each={unfinished().filter((r) => !uploads().some((u) => u.file.name === r.name && u.file.size === r.size))}
          >
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
                    queue.refreshUnfinished()
                  }}
                >
                  Forget
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <UploadList queue={queue} />
    </div>
  )
}
