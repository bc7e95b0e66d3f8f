import { createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { navigate } from '../lib/router'

type Assembled = Awaited<ReturnType<typeof api.retell.assemble.mutate>>

/** Seconds of `frames` at `fps`, one decimal. */
function seconds(frames: number, fps: { num: number; den: number }): string {
  return `${((frames * fps.den) / fps.num).toFixed(1)} s`
}

/**
 * Assemble timeline: a new timeline from the script (its shots in order, the synthesized narration at its blocks,
 * a marker per chapter), opened as soon as it exists. When the server has placements to point out (narration
 * running into the next block), the page stays with them and a link to the new timeline. Refusals (no shots,
 * narration not synthesized yet, a shot of missing media) are shown as the server words them.
 */
export function AssembleTimelineBar(props: { projectId: string; documentId: string; readOnly: boolean }) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [done, setDone] = createSignal<Assembled | null>(null)
  const href = (r: Assembled) => `/projects/${props.projectId}/docs/${r.documentId}`
  const assemble = async () => {
    setBusy(true)
    setError(null)
    setDone(null)
    try {
      const result = await api.retell.assemble.mutate({ documentId: props.documentId })
      setDone(result)
      if (result.warnings.length === 0) navigate(href(result))
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Show when={!props.readOnly}>
      <div class="retell-assemble-bar" data-testid="retell-assemble-bar">
        <button
          type="button"
          class="primary"
          disabled={busy()}
          onClick={() => void assemble()}
          data-testid="retell-assemble"
        >
          Assemble timeline
        </button>
        <Show when={busy()}>
          <span class="muted small" role="status">
            Assembling the shots and narration…
          </span>
        </Show>
        <Show when={done()}>
          {(r) => (
            <span class="small" role="status" data-testid="retell-assembled">
              {r().clips} clips, {seconds(r().durationFrames, r().fps)}, {r().narration} narration, {r().markers}{' '}
              chapters. <a href={href(r())}>Open {r().title}</a>
            </span>
          )}
        </Show>
        <Show when={error()}>
          <span class="error small" role="alert" data-testid="retell-assemble-error">
            {error()}
          </span>
        </Show>
        <Show when={done()?.warnings.length}>
          <ul class="retell-assemble-warnings small">
            <For each={done()!.warnings}>{(w) => <li>{w}</li>}</For>
          </ul>
        </Show>
      </div>
    </Show>
  )
}
