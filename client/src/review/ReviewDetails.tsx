import { type Accessor, Show } from 'solid-js'
import type { FramediffArtifacts } from './framediffArtifacts'
import type { ReviewVersion } from './ReviewRoom'

export interface FramediffJob {
  status: string
  progress: number | null
  error: string | null
}

/** What the review is about: the versions, the comparison job's state and what was actually compared. */
export function ReviewDetails(props: {
  version: ReviewVersion
  compareTo: ReviewVersion | null
  job: Accessor<FramediffJob | null>
  diff: Accessor<FramediffArtifacts | null>
  diffError: Accessor<string | null>
}) {
  const compared = () => {
    const d = props.diff()
    if (!d) return null
    const c = d.scores.compared
    const aFrames = d.scores.versionA?.frames
    const bFrames = d.scores.versionB?.frames
    let line = `Compared frames ${c.from}-${c.to} of ${aFrames ?? c.frames}`
    if (typeof aFrames === 'number' && typeof bFrames === 'number' && aFrames !== bFrames)
      line += bFrames < aFrames ? ': B is shorter' : ': B is longer'
    return line
  }
  const percent = () => Math.round((props.job()?.progress ?? 0) * 100)
  return (
    <section class="review-details" data-testid="review-details">
      <h2>Versions</h2>
      <dl class="versions">
        <Show when={props.compareTo}>
          {(a) => (
            <>
              <dt>A</dt>
              <dd>
                v{a().version} · {a().name}
                {a().frames !== null ? ` · ${a().frames} frames` : ''}
              </dd>
            </>
          )}
        </Show>
        <dt>{props.compareTo ? 'B' : 'Reviewed'}</dt>
        <dd>
          v{props.version.version} · {props.version.name}
          {props.version.frames !== null ? ` · ${props.version.frames} frames` : ''}
        </dd>
      </dl>
      <Show when={props.job()}>
        {(job) => (
          <div class="framediff-job" data-testid="framediff-job" data-status={job().status}>
            <h2>Comparison</h2>
            <Show when={job().status === 'queued' || job().status === 'running'}>
              <div class="progress" role="progressbar" aria-valuenow={percent()} aria-valuemin="0" aria-valuemax="100">
                <span style={{ width: `${percent()}%` }} />
              </div>
              <p class="muted small">
                {job().status === 'queued' ? 'Waiting for a worker…' : `Comparing frames… ${percent()}%`}
              </p>
            </Show>
            <Show when={job().status === 'failed' || job().status === 'cancelled'}>
              <p class="error">{job().error ?? `The comparison was ${job().status}.`}</p>
            </Show>
            <Show when={job().status === 'succeeded' && !props.diff() && !props.diffError()}>
              <p class="muted small">Loading the comparison…</p>
            </Show>
          </div>
        )}
      </Show>
      <Show when={props.diffError()}>
        <p class="error">{props.diffError()}</p>
      </Show>
      <Show when={props.diff()}>
        {(d) => (
          <div class="compared" data-testid="compared">
            <p>{compared()}</p>
            <p class="muted small">
              mean SSIM {d().scores.summary.meanSsim.toFixed(3)} · worst {d().scores.summary.minSsim.toFixed(3)} at
              frame {d().scores.summary.worstFrame} · {d().scores.summary.framesBelowThreshold} frames below{' '}
              {d().scores.summary.threshold}
            </p>
            {d().scores.notes.map((n) => (
              <p class="muted small note">{n}</p>
            ))}
          </div>
        )}
      </Show>
    </section>
  )
}
