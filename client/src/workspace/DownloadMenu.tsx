import { type Accessor, createSignal, For, onCleanup, Show } from 'solid-js'
import { api } from '../lib/api'
import { errorMessage } from './errorMessage'
import './downloadMenu.css'

const FORMATS = [
  { format: 'otio', label: 'OpenTimelineIO (.otio)', hint: 'Resolve, Premiere (via OTIO), Nuke Studio, RV' },
  { format: 'edl', label: 'CMX3600 EDL (.edl)', hint: 'the storyline and its markers, for any NLE' },
  { format: 'fcpxml', label: 'Final Cut Pro XML (.fcpxml)', hint: 'Final Cut Pro, Resolve' },
] as const

/** Waits until every local edit is on the server (the file is made from what is saved), at most `ms`. */
export async function untilSaved(unsynced: Accessor<number>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (unsynced() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  return unsynced() === 0
}

/** Saves text as a file through a temporary link (the browser's own download). */
export function saveFile(text: string, filename: string, contentType: string) {
  const url = URL.createObjectURL(new Blob([text], { type: `${contentType};charset=utf-8` }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** The timeline's Download menu: the cut as an interchange file for another NLE. Open to everyone who can read it. */
export function DownloadMenu(props: {
  documentId: string
  unsynced: Accessor<number>
  notify: (message: string) => void
}) {
  const [open, setOpen] = createSignal(false)
  const [busy, setBusy] = createSignal<string | null>(null)
  let box!: HTMLDivElement
  const onDocClick = (e: MouseEvent) => {
    if (open() && !box.contains(e.target as Node)) setOpen(false)
  }
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && open()) setOpen(false)
  }
  document.addEventListener('mousedown', onDocClick)
  document.addEventListener('keydown', onKey)
  onCleanup(() => {
    document.removeEventListener('mousedown', onDocClick)
    document.removeEventListener('keydown', onKey)
  })

  const download = async (format: (typeof FORMATS)[number]['format']) => {
    setBusy(format)
    try {
      if (!(await untilSaved(props.unsynced, 15_000)))
        props.notify('Your latest edits are not saved yet: the file has the timeline as saved so far.')
      const file = await api.timelines.interchange.query({ documentId: props.documentId, format })
      saveFile(file.text, file.filename, file.contentType)
      setOpen(false)
    } catch (error) {
      props.notify(errorMessage(error))
    } finally {
      setBusy(null)
    }
  }

  return (
    <div class="download-menu" ref={box}>
      <button type="button" aria-haspopup="menu" aria-expanded={open()} onClick={() => setOpen(!open())}>
        Download ▾
      </button>
      <Show when={open()}>
        <div class="download-menu-list" role="menu" aria-label="Download the timeline as">
          <For each={FORMATS}>
            {(f) => (
              <button type="button" role="menuitem" disabled={busy() !== null} onClick={() => void download(f.format)}>
                <span>{busy() === f.format ? 'Preparing…' : f.label}</span>
                <span class="muted small">{f.hint}</span>
              </button>
            )}
          </For>
        </div>
      </Show>
    </div>
  )
}
