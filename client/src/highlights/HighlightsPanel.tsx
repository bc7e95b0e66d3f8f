import { DISCOVER_LIMITS, DISCOVER_SIGNALS, type DiscoverSignal } from '@cutroom/schema'
import { createEffect, createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { api } from '../lib/api'
import { createJobUpdates } from '../media'
import { attachVideoSource } from '../review/attachVideoSource'
import { errorMessage } from '../workspace/errorMessage'
import './highlights.css'

const SIGNAL_LABELS: Record<DiscoverSignal, string> = {
  scene: 'Scene cuts',
  energy: 'Energy',
  peaks: 'Loud moments',
  speech: 'Speech',
  sentences: 'Whole sentences',
  hook: 'Question hook',
  keywords: 'Keywords',
  fluency: 'Few fillers',
}

const clock = (ms: number) => {
  const s = Math.floor(ms / 1000)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}.${String(Math.floor((ms % 1000) / 100))}`
}

/**
 * Highlights of one asset: start a discovery with keywords and a duration range, watch it run, then go through the
 * ranked clips with their score breakdown, preview each on the proxy, accept one into a timeline of the project
 * (it appears there live for everyone editing it) or dismiss it.
 */
export function HighlightsPanel(props: {
  projectId: string
  asset: { id: string; name: string; durationSeconds: number | null; sourceUrl: string | null }
  canEdit: boolean
  timelines: { id: string; title: string }[]
}) {
  const [minSeconds, setMinSeconds] = createSignal(15)
  const [maxSeconds, setMaxSeconds] = createSignal(60)
  const [count, setCount] = createSignal(10)
  const [keywords, setKeywords] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [message, setMessage] = createSignal<string | null>(null)
  const [target, setTarget] = createSignal<string>('')
  const [data, { refetch }] = createResource(
    () => props.asset.id,
    (assetId) => api.clips.suggestions.query({ assetId }),
  )
  const [detail] = createResource(
    () => props.asset.id,
    (id) => api.assets.get.query({ id }).catch(() => null),
  )
  const open = () => ['queued', 'running'].includes(data.latest?.job?.status ?? '')
  const updates = createJobUpdates(
    () => props.projectId,
    (u) => {
      if (u.jobId === data.latest?.job?.id) void refetch()
    },
  )
  // the subscription may miss the end (a reconnect): look again while the job is open
  createEffect(() => {
    if (!open()) return
    const timer = setInterval(() => void refetch(), 2000)
    onCleanup(() => clearInterval(timer))
  })
  createEffect(() => {
    if (!target() && props.timelines[0]) setTarget(props.timelines[0].id)
  })
  const progress = () => {
    const job = data.latest?.job
    if (!job) return 0
    return updates.progress().get(job.id)?.progress ?? job.progress
  }

  const start = async (e: Event) => {
    e.preventDefault()
    setMessage(null)
    setBusy(true)
    try {
      await api.clips.discover.mutate({
        assetId: props.asset.id,
        minSeconds: minSeconds(),
        maxSeconds: maxSeconds(),
        count: count(),
        keywords: keywords()
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean)
          .slice(0, DISCOVER_LIMITS.maxKeywords),
      })
      await refetch()
    } catch (error) {
      setMessage(errorMessage(error))
    } finally {
      setBusy(false)
    }
  }

  const accept = async (suggestionId: string) => {
    setMessage(null)
    const documentId = target()
    if (!documentId) {
      setMessage('Create a timeline in this project first.')
      return
    }
    try {
      await api.clips.accept.mutate({ suggestionId, documentId })
      const title = props.timelines.find((t) => t.id === documentId)?.title ?? 'the timeline'
      setMessage(`Added to "${title}".`)
      await refetch()
    } catch (error) {
      setMessage(errorMessage(error))
    }
  }
  const dismiss = async (suggestionId: string) => {
    setMessage(null)
    try {
      await api.clips.dismiss.mutate({ suggestionId })
      await refetch()
    } catch (error) {
      setMessage(errorMessage(error))
    }
  }

  // preview: one player for the panel, playing the proxy (else the source) from the clip's start to its end
  let video!: HTMLVideoElement
  const [previewing, setPreviewing] = createSignal<{ id: string; startMs: number; endMs: number } | null>(null)
  const [playError, setPlayError] = createSignal<string | null>(null)
  createEffect(() => {
    const hls = detail.latest?.artifacts.find((a) => a.slot === 'hls') as { url?: string } | undefined
    const media = { hlsUrl: hls?.url, sourceUrl: props.asset.sourceUrl ?? undefined }
    if (!media.hlsUrl && !media.sourceUrl) return
    const detach = attachVideoSource(video, media, setPlayError)
    onCleanup(detach)
  })
  const preview = (s: { id: string; startMs: number; endMs: number }) => {
    setPreviewing(s)
    video.currentTime = s.startMs / 1000
    void video.play().catch(() => {})
  }
  const onTime = () => {
    const p = previewing()
    if (p && video.currentTime >= p.endMs / 1000) {
      video.pause()
      setPreviewing(null)
    }
  }

  return (
    <section class="highlights" aria-label={`Highlights of ${props.asset.name}`} data-testid="highlights-panel">
      <Show when={props.canEdit}>
        <form class="highlights-form" onSubmit={start}>
          <label>
            Keywords
            <input
              data-testid="highlights-keywords"
              placeholder="comma, separated"
              maxLength={DISCOVER_LIMITS.maxKeywords * (DISCOVER_LIMITS.maxKeywordLength + 2)}
              value={keywords()}
              onInput={(e) => setKeywords(e.currentTarget.value)}
            />
          </label>
          <label>
            Min s
            <input
              type="number"
              data-testid="highlights-min"
              min={DISCOVER_LIMITS.minSeconds}
              max={DISCOVER_LIMITS.maxSeconds}
              value={minSeconds()}
              onInput={(e) => setMinSeconds(Number(e.currentTarget.value))}
            />
          </label>
          <label>
            Max s
            <input
              type="number"
              data-testid="highlights-max"
              min={DISCOVER_LIMITS.minSeconds}
              max={DISCOVER_LIMITS.maxSeconds}
              value={maxSeconds()}
              onInput={(e) => setMaxSeconds(Number(e.currentTarget.value))}
            />
          </label>
          <label>
            Clips
            <input
              type="number"
              min={1}
              max={DISCOVER_LIMITS.maxCount}
              value={count()}
              onInput={(e) => setCount(Number(e.currentTarget.value))}
            />
          </label>
          <button type="submit" class="primary" disabled={busy() || open()} data-testid="highlights-start">
            Find highlights
          </button>
        </form>
      </Show>
      <Show when={message()}>
        <p class="muted small" role="status" data-testid="highlights-message">
          {message()}
        </p>
      </Show>
      <Show when={data.error}>
        <p class="error">{errorMessage(data.error)}</p>
      </Show>
      <Show when={data.latest?.job}>
        {(job) => (
          <div class="highlights-job" data-testid="highlights-job" data-status={job().status}>
            <Show when={open()}>
              <progress max="1" value={progress()} /> <span class="muted small">Analysing… {Math.round(progress() * 100)}%</span>
            </Show>
            <Show when={job().status === 'failed'}>
              <p class="error">Discovery failed: {job().error}</p>
            </Show>
            <Show when={job().summary}>
              {(summary) => (
                <>
                  <p class="muted small">
                    {summary().windowsScored} windows scored · {summary().sceneCuts} scene cuts
                    {summary().note ? ` · ${summary().note}` : ''}
                  </p>
                  <For each={summary().missing}>
                    {(m) => (
                      <p class="muted small highlights-missing" data-testid="highlights-missing">
                        {m}
                      </p>
                    )}
                  </For>
                </>
              )}
            </Show>
          </div>
        )}
      </Show>
      <div class="highlights-preview" classList={{ hidden: !previewing() }}>
        {/* biome-ignore lint/a11y/useMediaCaption: a preview of a clip whose words are listed beside it */}
        <video ref={video} playsinline preload="metadata" onTimeUpdate={onTime} data-testid="highlights-video" />
        <Show when={playError()}>
          <p class="error small">{playError()}</p>
        </Show>
      </div>
      <Show when={props.canEdit && (data.latest?.suggestions.length ?? 0) > 0}>
        <label class="highlights-target">
          Accept into
          <select value={target()} onChange={(e) => setTarget(e.currentTarget.value)} data-testid="highlights-target">
            <For each={props.timelines} fallback={<option value="">No timeline yet</option>}>
              {(t) => <option value={t.id}>{t.title}</option>}
            </For>
          </select>
        </label>
      </Show>
      <ol class="highlights-list">
        <For each={data.latest?.suggestions ?? []}>
          {(s) => (
            <li class="highlight" data-testid="highlight" data-rank={s.rank} data-status={s.status}>
              <div class="highlight-head">
                <strong>#{s.rank}</strong>
                <span>
                  {clock(s.startMs)}–{clock(s.endMs)} ({((s.endMs - s.startMs) / 1000).toFixed(1)} s)
                </span>
                <span class="highlight-score" title="Combined score">
                  {Math.round(s.score * 100)}
                </span>
                <Show when={s.status === 'accepted'}>
                  <span class="badge">accepted</span>
                </Show>
              </div>
              <div class="highlight-reasons">{(s.reasons as string[]).join(' · ')}</div>
              <Show when={s.text}>
                <div class="highlight-text">“{s.text}”</div>
              </Show>
              <dl class="highlight-breakdown" data-testid="highlight-breakdown">
                <For each={DISCOVER_SIGNALS.filter((k) => (s.subScores as Record<string, number | null>)[k] !== null)}>
                  {(k) => {
                    const v = (s.subScores as Record<string, number | null>)[k] ?? 0
                    return (
                      <div class="highlight-signal">
                        <dt>{SIGNAL_LABELS[k]}</dt>
                        <dd>
                          <span class="bar" style={{ width: `${Math.round(v * 100)}%` }} />
                          <span class="small">{Math.round(v * 100)}</span>
                        </dd>
                      </div>
                    )
                  }}
                </For>
              </dl>
              <div class="highlight-actions">
                <button type="button" class="ghost small" onClick={() => preview(s)} data-testid="highlight-preview">
                  {previewing()?.id === s.id ? 'Playing…' : 'Preview'}
                </button>
                <Show when={props.canEdit}>
                  <button type="button" class="primary small" onClick={() => void accept(s.id)} data-testid="highlight-accept">
                    Accept
                  </button>
                  <button type="button" class="ghost small" onClick={() => void dismiss(s.id)} data-testid="highlight-dismiss">
                    Dismiss
                  </button>
                </Show>
              </div>
            </li>
          )}
        </For>
      </ol>
      <Show when={data.latest?.job?.status === 'succeeded' && (data.latest?.suggestions.length ?? 0) === 0}>
        <p class="muted small">No suggestions left.</p>
      </Show>
    </section>
  )
}
