import { qa } from '@cutroom/schema'
import { type Accessor, createMemo, createResource, createSignal, onCleanup, Show } from 'solid-js'
import { ConnectionBadge, saveState } from '../workspace/ConnectionBadge'
import type { PresenceUser } from '../workspace/createAwarenessPeers'
import { createProvider } from '../workspace/createProvider'
import { createUndoManager } from '../workspace/createUndoManager'
import { errorMessage } from '../workspace/errorMessage'
import { isTypingTarget } from '../workspace/isTypingTarget'
import { AnnotationLayer } from './AnnotationLayer'
import { AnnotationToolbar } from './AnnotationToolbar'
import { ComparePlayer } from './ComparePlayer'
import { createAnnotationTools } from './createAnnotationTools'
import { createFindings } from './createFindings'
import { createOverlay } from './createOverlay'
import { createReviewRoom } from './createReviewRoom'
import { loadFramediffArtifacts } from './framediffArtifacts'
import { FindingsPanel } from './FindingsPanel'
import { type FramediffJob, ReviewDetails } from './ReviewDetails'
import { ShareDialog } from './ShareDialog'
import { ReviewPresence } from './ReviewPresence'
import type { ReviewVersion } from './ReviewRoom'
import { ScoreGraph } from './ScoreGraph'
import { worstFrameOrder } from './worstFrames'

/**
 * An open review: the qa and qa-workflow documents, the review room built on them, and the layout (header with
 * presence and save state, the compare player with the annotation layer, the score graph, and the side column
 * where the findings panel is mounted).
 */
export function ReviewSession(props: {
  review: {
    id: string
    projectId: string
    orgId: string
    title: string
    role: string
    qaName: string
    qaAccess: 'read' | 'write'
    workflowName: string
  }
  version: ReviewVersion
  compareTo: ReviewVersion | null
  collabUrl: string
  user: PresenceUser
  members: Accessor<{ id: string; name: string }[]>
  job: Accessor<FramediffJob | null>
}) {
  const qaConnection = createProvider({ url: props.collabUrl, name: props.review.qaName, userId: props.user.id })
  const workflowConnection = createProvider({ url: props.collabUrl, name: props.review.workflowName })
  const [message, setMessage] = createSignal<string | null>(null)
  let messageTimer = 0
  const notify = (text: string) => {
    setMessage(text)
    clearTimeout(messageTimer)
    messageTimer = window.setTimeout(() => setMessage(null), 5000)
  }
  onCleanup(() => clearTimeout(messageTimer))

  const state = createReviewRoom({
    reviewId: props.review.id,
    projectId: props.review.projectId,
    orgId: props.review.orgId,
    title: props.review.title,
    version: props.version,
    compareTo: props.compareTo,
    qa: qaConnection,
    workflow: workflowConnection,
    user: props.user,
    role: props.review.role,
    qaAccess: props.review.qaAccess,
    members: props.members,
    notify,
  })
  const room = state.room
  const findings = createFindings(qaConnection.doc)
  const overlay = createOverlay(qaConnection.doc, props.compareTo?.assetId ?? '', props.version.assetId)
  const [diff] = createResource(overlay, loadFramediffArtifacts)
  const worstOrder = createMemo(() => {
    const d = diff.latest
    return d ? worstFrameOrder(d.scores.frames, d.scores.summary?.threshold ?? 0.98) : []
  })

  const tools = createAnnotationTools()
  const undo = createUndoManager([qa.findingsOf(qaConnection.doc)])
  const onKey = (e: KeyboardEvent) => {
    if (isTypingTarget(e.target) || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z' || room.readOnly()) return
    e.preventDefault()
    if (e.shiftKey) undo.redo()
    else undo.undo()
  }
  window.addEventListener('keydown', onKey)
  onCleanup(() => window.removeEventListener('keydown', onKey))

  const readOnlyReason = createMemo(() => {
    if (qaConnection.ended()) return null
    if (props.review.qaAccess === 'read' || qaConnection.readOnly())
      return `You are a ${props.review.role} in this project: you can play and compare the versions and watch notes arrive live, but only reviewers and editors can draw or add findings.`
    return null
  })
  const drawingBlocked = createMemo(() => {
    if (room.readOnly()) return 'Viewers can watch and compare, not draw.'
    if (state.following()) return 'Stop following to draw.'
    if (!room.paused()) return 'Pause to draw on a frame.'
    return null
  })
  const frameCount = () => {
    const frames = [props.version.frames, props.compareTo?.frames, diff.latest?.scores.frames.length].filter(
      (f): f is number => typeof f === 'number',
    )
    return frames.length ? Math.max(...frames) : 1
  }

  return (
    <div class="document-session review-session" data-testid="review-room">
      <header class="workspace-header">
        <a class="back" href={`/projects/${props.review.projectId}`} title="Back to the project">
          ←
        </a>
        <div class="doc-title">
          <span class="kind-tag">Review</span>
          <h1>{props.review.title}</h1>
        </div>
        <ReviewPresence state={state} />
        <Show when={['owner', 'admin', 'editor', 'reviewer'].includes(props.review.role)}>
          <ShareDialog reviewId={props.review.id} />
        </Show>
        <ConnectionBadge state={() => saveState(qaConnection)} unsynced={qaConnection.unsynced} />
      </header>
      <Show when={qaConnection.ended()}>
        {(ended) => (
          <div class="banner error" role="alert" data-testid="connection-ended" data-code={ended().code}>
            <strong>{ended().message}</strong>
          </div>
        )}
      </Show>
      <Show when={readOnlyReason()}>
        <div class="banner info" data-testid="read-only-banner">
          {readOnlyReason()}
        </div>
      </Show>
      <Show when={message()}>
        <div class="toast" role="status" data-testid="toast">
          {message()}
        </div>
      </Show>
      <div class="review-main">
        <section class="review-stage">
          <Show when={!room.readOnly()}>
            <AnnotationToolbar
              tools={tools}
              disabledReason={drawingBlocked()}
              canUndo={undo.canUndo()}
              canRedo={undo.canRedo()}
              onUndo={undo.undo}
              onRedo={undo.redo}
            />
          </Show>
          <ComparePlayer
            state={state}
            diff={() => diff.latest ?? null}
            worstOrder={worstOrder}
            overlay={
              <AnnotationLayer
                room={room}
                tools={tools}
                peers={state.peers}
                findings={findings}
                disabledReason={drawingBlocked}
              />
            }
          />
          <ScoreGraph
            scores={() => diff.latest?.scores.frames ?? []}
            frameCount={frameCount}
            frame={room.frame}
            findings={findings}
            peers={state.peers}
            threshold={() => diff.latest?.scores.summary?.threshold ?? 0.98}
            onSeek={room.seek}
          />
        </section>
        <aside class="review-side" data-testid="review-side">
          <ReviewDetails
            version={props.version}
            compareTo={props.compareTo}
            job={props.job}
            diff={() => diff.latest ?? null}
            diffError={() => (diff.error ? errorMessage(diff.error) : null)}
          />
          <FindingsPanel room={room} />
        </aside>
      </div>
    </div>
  )
}
