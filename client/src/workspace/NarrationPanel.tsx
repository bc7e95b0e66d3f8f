import { retell } from '@cutroom/schema'
import { batch, createSignal, For, onCleanup, Show } from 'solid-js'
import { createStore, reconcile } from 'solid-js/store'
import * as Y from 'yjs'
import { apiErrorMessage, api } from '../lib/api'
import { createJobUpdates } from '../media/createJobUpdates'
import { createDocSignal } from './createDocSignal'
import type { EditorContext } from './EditorContext'

type NarrationBlock = Extract<retell.RetellBlock, { type: 'narration' }>

/** Seconds with one decimal, for a narration's length. */
function seconds(samples: number, sampleRate: number): string {
  return `${(samples / sampleRate).toFixed(1)} s`
}

/**
 * The script's narration blocks with their voice-over: Synthesize all or one block (a tts job each), the
 * progress of this person's jobs per block, the length once synthesized (live in every open page: the server
 * patches it into the block), a stale mark when the text changed afterwards, and a play button per block.
 */
export function NarrationPanel(props: { ctx: EditorContext }) {
  const { doc } = props.ctx
  // Rows are reconciled by block id, and an edit inside one block re-reads only that block: a keystroke in a long
  // script updates one row instead of reading every block and rebuilding every row.
  const body = retell.bodyOf(doc)
  const narrationOf = (node: unknown): NarrationBlock | null => {
    const block = node instanceof Y.XmlElement ? retell.readBlock(node) : null
    return block?.type === 'narration' ? block : null
  }
  /** The narration elements in order, one per row. */
  let elements: Y.XmlElement[] = []
  const readAll = () => {
    elements = []
    const out: NarrationBlock[] = []
    for (const node of body.toArray()) {
      const block = narrationOf(node)
      if (block) {
        elements.push(node as Y.XmlElement)
        out.push(block)
      }
    }
    return out
  }
  const [store, setStore] = createStore({ blocks: readAll() })
  const onChange = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    const changed = new Set<Y.XmlElement>()
    for (const event of events) {
      let node: Y.AbstractType<unknown> | null = event.target
      while (node && node !== body && node.parent !== body) node = node.parent as Y.AbstractType<unknown> | null
      if (node === body || !(node instanceof Y.XmlElement)) {
        // Blocks were added, removed or moved.
        setStore('blocks', reconcile(readAll(), { key: 'id' }))
        return
      }
      changed.add(node)
    }
    batch(() => {
      for (const element of changed) {
        const i = elements.indexOf(element)
        const block = narrationOf(element)
        if (i >= 0 && block) setStore('blocks', i, reconcile(block))
      }
    })
  }
  body.observeDeep(onChange)
  onCleanup(() => body.unobserveDeep(onChange))
  const blocks = () => store.blocks
  const sampleRate = createDocSignal(doc, (d) => Number(retell.metaOf(d).get('sampleRate') ?? 48000))
  /** blockId -> the job synthesizing it (this person's), and its error when it failed. */
  const [pending, setPending] = createSignal<ReadonlyMap<string, { jobId: string; error?: string }>>(new Map())
  const [busy, setBusy] = createSignal(false)
  const [playing, setPlaying] = createSignal<string | null>(null)
  const { progress } = createJobUpdates(
    () => props.ctx.projectId,
    (u) => {
      if (u.kind !== 'tts') return
      const entry = [...pending()].find(([, p]) => p.jobId === u.jobId)
      if (!entry) return
      const next = new Map(pending())
      if (u.status === 'failed' && u.final)
        next.set(entry[0], { jobId: u.jobId, error: u.error ?? 'Synthesis failed.' })
      else if (u.status === 'cancelled') next.delete(entry[0])
      else if (u.status === 'succeeded') next.delete(entry[0])
      else return
      setPending(next)
    },
  )
  // One player for the panel; `heard` is the block whose audio is actually sounding (time moving), not just asked for.
  const audio = new Audio()
  const [heard, setHeard] = createSignal<string | null>(null)
  audio.addEventListener('timeupdate', () => {
    if (audio.currentTime > 0 && !audio.paused) setHeard(playing())
  })
  audio.addEventListener('ended', () => {
    setPlaying(null)
    setHeard(null)
  })
  audio.addEventListener('error', () => {
    if (playing()) props.ctx.notify('The narration audio could not be loaded.')
    setPlaying(null)
    setHeard(null)
  })
  onCleanup(() => {
    audio.pause()
    audio.removeAttribute('src')
  })

  const synthesize = async (blockIds?: string[]) => {
    setBusy(true)
    try {
      const { jobs } = await api.retell.synthesize.mutate({ documentId: props.ctx.documentId, blockIds })
      const next = new Map(pending())
      for (const j of jobs) next.set(j.blockId, { jobId: j.jobId })
      setPending(next)
    } catch (err) {
      props.ctx.notify(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  const play = (block: NarrationBlock) => {
    if (!block.audioArtifactId) return
    if (playing() === block.id) {
      audio.pause()
      setPlaying(null)
      setHeard(null)
      return
    }
    audio.src = `/media/${encodeURIComponent(block.audioArtifactId)}/narration.wav`
    setPlaying(block.id)
    audio.play().catch((err: Error) => {
      setPlaying(null)
      props.ctx.notify(`The narration could not be played: ${err.message}`)
    })
  }

  const hasText = (b: NarrationBlock) => retell.normalizeNarrationText(b.text) !== ''
  const inFlight = (b: NarrationBlock) => {
    const p = pending().get(b.id)
    return p && !p.error ? p : null
  }

  return (
    <div class="narration-panel" data-testid="narration-panel">
      <div>
        <button
          type="button"
          class="primary"
          disabled={props.ctx.readOnly() || busy() || !blocks().some(hasText)}
          onClick={() => void synthesize()}
          title="Synthesize the voice-over of every narration block"
        >
          Synthesize all
        </button>
      </div>
      <ul class="narration-list">
        <For each={blocks()} fallback={<li class="muted">No narration blocks yet: add one with + Narration.</li>}>
          {(block) => (
            <li
              data-testid="narration-row"
              data-block-id={block.id}
              data-sounding={heard() === block.id ? 'true' : undefined}
            >
              <span class="narration-text">{block.text || <span class="muted">(empty)</span>}</span>
              <Show when={!props.ctx.readOnly()}>
                <button
                  type="button"
                  class="ghost small"
                  disabled={busy() || !hasText(block) || Boolean(inFlight(block))}
                  onClick={() => void synthesize([block.id])}
                  aria-label="Synthesize this block"
                >
                  Synthesize
                </button>
              </Show>
              <Show when={inFlight(block)}>
                {(p) => (
                  <progress
                    data-testid="narration-progress"
                    max="1"
                    value={progress().get(p().jobId)?.progress ?? 0}
                    aria-label="Synthesis progress"
                  />
                )}
              </Show>
              <Show when={pending().get(block.id)?.error}>{(error) => <span class="error small">{error()}</span>}</Show>
              <Show when={block.audioArtifactId && block.duration !== null}>
                <button
                  type="button"
                  class="ghost small"
                  onClick={() => play(block)}
                  aria-label={playing() === block.id ? 'Pause narration' : 'Play narration'}
                >
                  {playing() === block.id ? '❚❚' : '▶'}
                </button>
                <span class="mono small" data-testid="narration-duration">
                  {seconds(block.duration ?? 0, sampleRate())}
                </span>
                <Show when={retell.isNarrationStale(block)}>
                  <span class="stale-badge small" data-testid="narration-stale" title="Edited after it was synthesized">
                    stale
                  </span>
                </Show>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </div>
  )
}
