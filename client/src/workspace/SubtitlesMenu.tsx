import { type Accessor, createSignal, For, onCleanup, Show } from 'solid-js'
import { api } from '../lib/api'
import { saveFile, untilSaved } from './DownloadMenu'
import { errorMessage } from './errorMessage'
import './downloadMenu.css'

const EXPORTS = [
  { format: 'srt', label: 'SubRip (.srt)', contentType: 'application/x-subrip' },
  { format: 'vtt', label: 'WebVTT (.vtt)', contentType: 'text/vtt' },
  { format: 'ass', label: 'Advanced SubStation (.ass)', contentType: 'text/x-ssa' },
] as const

/** Largest subtitle file read for import (the api refuses bigger ones too). */
const MAX_IMPORT_BYTES = 500_000

/**
 * The transcript's Subtitles menu: the timed words as SRT, WebVTT or ASS cues (42 characters and 2 lines per cue
 * by default, or the lengths chosen here), and, for editors, an SRT or WebVTT file imported in place of the text
 * (an align job then times every word from the audio, live).
 */
export function SubtitlesMenu(props: {
  documentId: string
  title: string
  unsynced: Accessor<number>
  readOnly: Accessor<boolean>
  notify: (message: string) => void
}) {
  const [open, setOpen] = createSignal(false)
  const [busy, setBusy] = createSignal<string | null>(null)
  const [maxChars, setMaxChars] = createSignal(42)
  const [maxLines, setMaxLines] = createSignal(2)
  let box!: HTMLDivElement
  let fileInput!: HTMLInputElement
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

  const download = async (f: (typeof EXPORTS)[number]) => {
    setBusy(f.format)
    try {
      if (!(await untilSaved(props.unsynced, 15_000)))
        props.notify('Your latest edits are not saved yet: the subtitles have the transcript as saved so far.')
      const out = await api.transcripts.exportSubtitles.query({
        documentId: props.documentId,
        format: f.format,
        maxChars: maxChars(),
        maxLines: maxLines(),
      })
      if (out.cues === 0) props.notify('This transcript has no timed words yet, so the file has no cues.')
      const base = props.title.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'transcript'
      saveFile(out.text, `${base}.${f.format}`, f.contentType)
      setOpen(false)
    } catch (error) {
      props.notify(errorMessage(error))
    } finally {
      setBusy(null)
    }
  }

  const importFile = async (file: File | undefined) => {
    if (!file) return
    fileInput.value = ''
    const format = /\.vtt$/i.test(file.name) ? 'vtt' : /\.srt$/i.test(file.name) ? 'srt' : null
    if (!format) return props.notify(`${file.name} is not an .srt or .vtt file.`)
    if (file.size > MAX_IMPORT_BYTES)
      return props.notify(`${file.name} is larger than ${MAX_IMPORT_BYTES / 1000} kB; split it first.`)
    if (!window.confirm(`Replace this transcript's text with the cues of ${file.name}?`)) return
    setBusy('import')
    try {
      const done = await api.transcripts.importSubtitles.mutate({
        documentId: props.documentId,
        format,
        text: await file.text(),
      })
      props.notify(
        `Imported ${done.cues} cue${done.cues === 1 ? '' : 's'} (${done.words} words)${done.alignJobId ? '; timing the words from the audio…' : '.'}`,
      )
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
        Subtitles ▾
      </button>
      <Show when={open()}>
        <div class="download-menu-list" role="menu" aria-label="Subtitles">
          <div class="subtitle-rules">
            <label>
              Characters per line
              <input
                type="number"
                min="10"
                max="100"
                value={maxChars()}
                onInput={(e) => setMaxChars(Math.min(100, Math.max(10, Number(e.currentTarget.value) || 42)))}
              />
            </label>
            <label>
              Lines per cue
              <input
                type="number"
                min="1"
                max="4"
                value={maxLines()}
                onInput={(e) => setMaxLines(Math.min(4, Math.max(1, Number(e.currentTarget.value) || 2)))}
              />
            </label>
          </div>
          <For each={EXPORTS}>
            {(f) => (
              <button type="button" role="menuitem" disabled={busy() !== null} onClick={() => void download(f)}>
                <span>{busy() === f.format ? 'Preparing…' : `Export ${f.label}`}</span>
              </button>
            )}
          </For>
          <Show when={!props.readOnly()}>
            <button type="button" role="menuitem" disabled={busy() !== null} onClick={() => fileInput.click()}>
              <span>{busy() === 'import' ? 'Importing…' : 'Import SRT or WebVTT…'}</span>
              <span class="muted small">replaces the text; the words are then timed from the audio</span>
            </button>
          </Show>
          <input
            ref={fileInput}
            type="file"
            accept=".srt,.vtt,text/vtt,application/x-subrip"
            hidden
            data-testid="subtitles-import-input"
            onChange={(e) => void importFile(e.currentTarget.files?.[0])}
          />
        </div>
      </Show>
    </div>
  )
}
