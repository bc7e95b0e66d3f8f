import { RETELL_LIMITS, retell } from '@cutroom/schema'
import { createEffect, createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import type * as Y from 'yjs'
import { api } from '../lib/api'
import { createDocSignal } from './createDocSignal'
import { errorMessage } from './errorMessage'

/**
 * Drafting a retell from a transcript: pick the transcript and a target length, and a `retell` job appends
 * chapters, an outline, narration and shots as one draft; each draft in the script can be discarded as a whole
 * (its blocks only; what people wrote stays).
 */
export function RetellDraftBar(props: { projectId: string; documentId: string; doc: Y.Doc; readOnly: boolean }) {
  const [transcripts] = createResource(
    () => props.projectId,
    async (projectId) => (await api.documents.list.query({ projectId })).filter((d) => d.kind === 'transcript'),
  )
  const [source, setSource] = createSignal('')
  const [minutes, setMinutes] = createSignal(2)
  const [jobId, setJobId] = createSignal<string | null>(null)
  const [status, setStatus] = createSignal<string | null>(null)
  const [message, setMessage] = createSignal<string | null>(null)
  const drafts = createDocSignal(props.doc, (d) => retell.draftIds(d))
  createEffect(() => {
    if (!source() && transcripts.latest?.[0]) setSource(transcripts.latest[0].id)
  })
  // follow the job until it ends; its error (an unreachable chat endpoint...) is shown as it is
  createEffect(() => {
    const id = jobId()
    if (!id) return
    const timer = setInterval(async () => {
      const job = await api.jobs.get.query({ id }).catch(() => null)
      if (!job) return
      setStatus(job.status)
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) {
        clearInterval(timer)
        setJobId(null)
        setMessage(job.status === 'failed' ? `Drafting failed: ${job.error ?? 'unknown error'}` : null)
      }
    }, 1000)
    onCleanup(() => clearInterval(timer))
  })
  const generate = async () => {
    setMessage(null)
    try {
      const started = await api.retell.generate.mutate({
        documentId: props.documentId,
        transcriptDocumentId: source(),
        targetMinutes: minutes(),
      })
      setStatus('queued')
      setJobId(started.jobId)
    } catch (error) {
      setMessage(errorMessage(error))
    }
  }
  const discard = async (draftId: string) => {
    setMessage(null)
    try {
      await api.retell.discardDraft.mutate({ documentId: props.documentId, draftId })
    } catch (error) {
      setMessage(errorMessage(error))
    }
  }
  return (
    <div class="retell-draft-bar" data-testid="retell-draft-bar">
      <Show when={!props.readOnly}>
        <select aria-label="Transcript" value={source()} onChange={(e) => setSource(e.currentTarget.value)}>
          <For each={transcripts.latest ?? []} fallback={<option value="">No transcript yet</option>}>
            {(t) => <option value={t.id}>{t.title}</option>}
          </For>
        </select>
        <input
          type="number"
          aria-label="Target minutes"
          min={RETELL_LIMITS.minMinutes}
          max={RETELL_LIMITS.maxMinutes}
          step="0.25"
          value={minutes()}
          onInput={(e) => setMinutes(Number(e.currentTarget.value))}
        />
        <button type="button" disabled={!source() || jobId() !== null} onClick={() => void generate()} data-testid="retell-generate">
          Draft from transcript
        </button>
        <Show when={jobId()}>
          <span class="muted small">{status() === 'running' ? 'Drafting…' : 'Queued…'}</span>
        </Show>
        <For each={drafts()}>
          {(id, i) => (
            <button type="button" class="ghost small" onClick={() => void discard(id)} data-testid="retell-discard-draft">
              Discard draft{drafts().length > 1 ? ` ${i() + 1}` : ''}
            </button>
          )}
        </For>
      </Show>
      <Show when={message()}>
        <span class="error small" role="status">
          {message()}
        </span>
      </Show>
    </div>
  )
}
