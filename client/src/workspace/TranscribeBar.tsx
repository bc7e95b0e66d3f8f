import { transcript } from '@cutroom/schema'
import { createMemo, createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { createJobUpdates } from '../media/createJobUpdates'
import { createDocSignal } from './createDocSignal'
import type { EditorContext } from './EditorContext'

const OPEN = ['queued', 'running']

/**
 * Above the transcript: while a transcribe job fills it, its progress and a Cancel button; when it is empty and
 * nothing runs, "Transcribe" with a choice of the project's assets that have sound.
 */
export function TranscribeBar(props: { ctx: EditorContext; assetId: () => string | null }) {
  const hasText = createDocSignal(props.ctx.doc, transcript.hasText)
  const [jobId, setJobId] = createSignal<string | null>(null)
  const [status, setStatus] = createSignal<string | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  const [choice, setChoice] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  // A transcribe job of the linked asset that is still open (started here, from the media bin or by someone else).
  createResource(props.assetId, async (assetId) => {
    const jobs = await api.jobs.list.query({ projectId: props.ctx.projectId, assetId, limit: 50 }).catch(() => [])
    const open = jobs.find((j) => j.kind === 'transcribe' && OPEN.includes(j.status))
    if (open && !jobId()) {
      setJobId(open.id)
      setStatus(open.status)
    }
    return null
  })
  const { progress } = createJobUpdates(
    () => props.ctx.projectId,
    (u) => {
      if (u.jobId !== jobId()) return
      if (u.status === 'running' && !u.final) return setStatus('running')
      setStatus(u.status)
      if (u.status === 'failed' && u.final) setError(u.error ?? 'Transcription failed.')
    },
  )
  const running = () => jobId() !== null && status() !== null && OPEN.includes(status()!)
  const fraction = () => (jobId() ? (progress().get(jobId()!)?.progress ?? 0) : 0)
  const candidates = createMemo(() =>
    props.ctx.assets().filter((a) => a.status !== 'uploading' && a.status !== 'failed' && a.status !== 'rejected'),
  )

  const start = async () => {
    const assetId = choice() || props.assetId() || ''
    if (!assetId) return
    setBusy(true)
    setError(null)
    try {
      const { jobId: id } = await api.transcripts.transcribe.mutate({ documentId: props.ctx.documentId, assetId })
      setJobId(id)
      setStatus('queued')
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  const cancel = async () => {
    const id = jobId()
    if (!id) return
    try {
      await api.jobs.cancel.mutate({ id })
      setStatus('cancelled')
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }

  return (
    <div class="transcribe-bar" data-testid="transcribe-bar">
      <Show when={running()}>
        <span class="small">Transcribing…</span>
        <progress data-testid="transcribe-progress" max="1" value={fraction()} aria-label="Transcription progress" />
        <span class="mono small">{Math.round(fraction() * 100)}%</span>
        <Show when={!props.ctx.readOnly()}>
          <button type="button" class="ghost small" onClick={() => void cancel()}>
            Cancel
          </button>
        </Show>
      </Show>
      <Show when={status() === 'cancelled'}>
        <span class="muted small" data-testid="transcribe-cancelled">
          Transcription cancelled.
        </span>
      </Show>
      <Show when={!running() && !hasText() && !props.ctx.readOnly()}>
        <label class="field inline">
          <span>Asset</span>
          <select
            data-testid="transcribe-asset"
            value={choice() || props.assetId() || ''}
            onChange={(e) => setChoice(e.currentTarget.value)}
          >
            <option value="">Choose an asset…</option>
            <For each={candidates()}>{(a) => <option value={a.id}>{a.name}</option>}</For>
          </select>
        </label>
        <button
          type="button"
          class="primary"
          disabled={busy() || !(choice() || props.assetId())}
          onClick={() => void start()}
        >
          Transcribe
        </button>
      </Show>
      <Show when={error()}>{(message) => <span class="error small">{message()}</span>}</Show>
    </div>
  )
}
