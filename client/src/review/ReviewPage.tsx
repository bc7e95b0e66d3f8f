import { createResource, createSignal, Match, Show, Switch } from 'solid-js'
import { search } from '../lib/router'
import { errorMessage } from '../workspace/errorMessage'
import { formatTimecode } from '../workspace/timecode'
import { createReviewRoom, loadReviewRoom, type ReviewRoomData } from './createReviewRoom'
import { FindingsPanel } from './FindingsPanel'

/**
 * A review: its findings panel and a frame field standing in for the player (the compare player and the annotation
 * layer mount here in the full page). `?frame=N&finding=ID` opens at a frame with a finding selected.
 */
export function ReviewPage(props: { projectId: string; reviewId: string }) {
  const [data] = createResource(() => props.reviewId, loadReviewRoom)
  return (
    <div class="review-page">
      <Switch>
        <Match when={data.error}>
          <div class="fatal" role="alert">
            <h2>This review could not be opened</h2>
            <p>{errorMessage(data.error)}</p>
            <a class="button" href={`/projects/${props.projectId}`}>
              Back to the project
            </a>
          </div>
        </Match>
        <Match when={data()}>{(d) => <ReviewRoomView data={d()} projectId={props.projectId} />}</Match>
      </Switch>
    </div>
  )
}

function ReviewRoomView(props: { data: ReviewRoomData; projectId: string }) {
  const frameParam = Number(new URLSearchParams(search()).get('frame'))
  const room = createReviewRoom(props.data, { initialFrame: Number.isInteger(frameParam) ? frameParam : 0 })
  const [typed, setTyped] = createSignal<string | null>(null)
  return (
    <>
      <header class="workspace-header">
        <a class="back" href={`/projects/${props.projectId}`} title="Back to the project">
          ←
        </a>
        <h1>{room.title}</h1>
        <span class="muted">
          {room.version.name} v{room.version.version}
          <Show when={room.compareTo}>{(c) => <> against v{c().version}</>}</Show>
        </span>
      </header>
      <div class="review-body">
        <div class="review-stage">
          <label class="frame-field">
            Frame
            <input
              type="number"
              min="0"
              step="1"
              aria-label="Frame"
              value={typed() ?? String(room.frame())}
              onInput={(e) => setTyped(e.currentTarget.value)}
              onChange={(e) => {
                const n = Number(e.currentTarget.value)
                if (Number.isInteger(n) && n >= 0) room.seek(n)
                setTyped(null)
              }}
            />
          </label>
          <span class="mono" data-testid="current-frame" data-frame={room.frame()}>
            {formatTimecode(room.frame(), room.version.fps)}
          </span>
          <p class="muted" role="status">
            {room.status()}
          </p>
        </div>
        <FindingsPanel room={room} />
      </div>
    </>
  )
}
