import { createSignal, For, onCleanup, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentOrg } from '../lib/session'
import { createJobUpdates } from '../media'
import { formatTimeLeft, timeLeft } from './timeLeft'
import './exports.css'

const PRESETS = [
  { value: '1080p', label: '1080p (1920×1080)' },
  { value: '720p', label: '720p (1280×720)' },
  { value: 'vertical-1080x1920', label: 'Vertical 1080×1920 (centre crop or each clip’s crop box)' },
  { value: 'audio-wav', label: 'Audio only (WAV)' },
] as const
type Preset = (typeof PRESETS)[number]['value']

const STYLES = [
  { value: 'clean', label: 'Clean' },
  { value: 'bold', label: 'Bold (boxed)' },
  { value: 'karaoke', label: 'Karaoke (active word highlighted)' },
] as const
type Style = (typeof STYLES)[number]['value']

interface Running {
  jobId: string
  assetId: string
  version: number
  startedAt: number
}

/**
 * "Export" in the timeline: preset, which version of the timeline, a brand kit of the organization (watermark,
 * slates, fonts: its current version), captions on or off, their source (the caption track, or a transcript of
 * media on the storyline: its words at their own times) and style; then the
 * job's progress with the time left, and cancel. The render lands as the next version of the timeline's export
 * stack, listed on the project page.
 */
export function ExportDialog(props: { projectId: string; documentId: string; canExport: boolean }) {
  let dialog: HTMLDialogElement | undefined
  const [preset, setPreset] = createSignal<Preset>('1080p')
  const [versionId, setVersionId] = createSignal('')
  const [captions, setCaptions] = createSignal(false)
  const [style, setStyle] = createSignal<Style>('clean')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const [running, setRunning] = createSignal<Running | null>(null)
  const [finished, setFinished] = createSignal<{ status: string; error?: string } | null>(null)
  const [now, setNow] = createSignal(Date.now())
  const timer = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(timer))
  // a plain signal, not a resource: reading a loading resource would suspend the editor around the dialog
  const [versions, setVersions] = createSignal<{ id: string; name: string }[]>([])
  const [kits, setKits] = createSignal<{ id: string; name: string }[]>([])
  const [brandKitId, setBrandKitId] = createSignal('')
  // '' for the caption track, else the id of a transcript of media on the storyline
  const [captionSource, setCaptionSource] = createSignal('')
  const [transcripts, setTranscripts] = createSignal<{ documentId: string; title: string; filename: string }[]>([])
  const openDialog = () => {
    dialog?.showModal()
    api.documents.versions.list.query({ documentId: props.documentId }).then(setVersions, () => setVersions([]))
    api.exports.captionSources.query({ documentId: props.documentId }).then(
      (r) => {
        setTranscripts(r.transcripts)
        if (captionSource() && !r.transcripts.some((t) => t.documentId === captionSource())) setCaptionSource('')
      },
      () => setTranscripts([]),
    )
    const org = currentOrg()
    if (org) api.brandKits.list.query({ orgId: org.id }).then(setKits, () => setKits([]))
  }
  const { progress } = createJobUpdates(
    () => (running() ? props.projectId : null),
    (u) => {
      const r = running()
      if (r && u.jobId === r.jobId && u.final && u.status !== 'running') setFinished({ status: u.status, error: u.error })
    },
  )
  const live = () => {
    const r = running()
    return r ? progress().get(r.jobId) : undefined
  }
  const fraction = () => (finished()?.status === 'succeeded' ? 1 : (live()?.progress ?? 0))

  const start = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setFinished(null)
    setBusy(true)
    try {
      const created = await api.exports.create.mutate({
        documentId: props.documentId,
        preset: preset(),
        ...(versionId() ? { versionId: versionId() } : {}),
        ...(brandKitId() ? { brandKitId: brandKitId() } : {}),
        captions:
          captions() && preset() !== 'audio-wav'
            ? captionSource()
              ? { style: style(), source: 'transcript' as const, transcriptDocumentId: captionSource() }
              : { style: style(), source: 'track' as const }
            : null,
      })
      setRunning({ ...created, startedAt: Date.now() })
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  const cancel = async () => {
    const r = running()
    if (!r) return
    try {
      await api.jobs.cancel.mutate({ id: r.jobId })
      setFinished({ status: 'cancelled' })
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }

  return (
    <>
      <button type="button" disabled={!props.canExport} onClick={openDialog} title="Render this timeline">
        Export
      </button>
      <dialog ref={dialog} class="export-dialog panel" aria-labelledby="export-dialog-title">
        <div class="export-dialog-head">
          <h2 id="export-dialog-title">Export</h2>
          <button type="button" class="small ghost" aria-label="Close" onClick={() => dialog?.close()}>
            ✕
          </button>
        </div>
        <form onSubmit={start}>
          <label>
            Preset
            <select value={preset()} onChange={(e) => setPreset(e.currentTarget.value as Preset)} aria-label="Preset">
              <For each={PRESETS}>{(p) => <option value={p.value}>{p.label}</option>}</For>
            </select>
          </label>
          <label>
            Version
            <select value={versionId()} onChange={(e) => setVersionId(e.currentTarget.value)} aria-label="Version">
              <option value="">Current state</option>
              <For each={versions()}>{(v) => <option value={v.id}>{v.name}</option>}</For>
            </select>
          </label>
          <Show when={preset() !== 'audio-wav'}>
            <label>
              Brand kit
              <select value={brandKitId()} onChange={(e) => setBrandKitId(e.currentTarget.value)} aria-label="Brand kit">
                <option value="">None</option>
                <For each={kits()}>{(k) => <option value={k.id}>{k.name}</option>}</For>
              </select>
            </label>
            <label class="inline">
              <input type="checkbox" checked={captions()} onChange={(e) => setCaptions(e.currentTarget.checked)} /> Burn in captions
            </label>
            <Show when={captions()}>
              <label>
                Captions from
                <select value={captionSource()} onChange={(e) => setCaptionSource(e.currentTarget.value)} aria-label="Captions from">
                  <option value="">Caption track</option>
                  <For each={transcripts()}>{(t) => <option value={t.documentId}>Transcript {t.title}</option>}</For>
                </select>
              </label>
              <label>
                Caption style
                <select value={style()} onChange={(e) => setStyle(e.currentTarget.value as Style)} aria-label="Caption style">
                  <For each={STYLES}>{(s) => <option value={s.value}>{s.label}</option>}</For>
                </select>
              </label>
            </Show>
          </Show>
          <button class="primary" type="submit" disabled={busy() || (!!running() && !finished())}>
            Start export
          </button>
        </form>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <Show when={running()}>
          {(r) => (
            <div class="export-progress" data-testid="export-progress" data-job-id={r().jobId} data-status={finished()?.status ?? 'running'}>
              <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction() * 100)}>
                <div class="progress-fill" style={{ width: `${(fraction() * 100).toFixed(1)}%` }} />
              </div>
              <Show
                when={finished()}
                fallback={
                  <div class="muted small">
                    {live()?.stage ?? 'queued'} · {Math.round(fraction() * 100)}% · {formatTimeLeft(timeLeft(fraction(), now() - r().startedAt))}{' '}
                    <button type="button" class="small" onClick={() => void cancel()}>
                      Cancel
                    </button>
                  </div>
                }
              >
                {(f) => (
                  <p class={f().status === 'succeeded' ? 'small' : 'error small'} role="status">
                    {f().status === 'succeeded'
                      ? `Export version ${r().version} is ready; it is listed on the project page, where it can be reviewed.`
                      : f().status === 'cancelled'
                        ? 'The export was cancelled.'
                        : `The export failed: ${f().error ?? 'unknown error'}`}
                  </p>
                )}
              </Show>
            </div>
          )}
        </Show>
      </dialog>
    </>
  )
}
