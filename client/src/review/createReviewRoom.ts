import { type Accessor, createSignal } from 'solid-js'
import { api } from '../lib/api'
import { createProvider } from '../workspace/createProvider'
import { userColor } from '../workspace/userColor'
import type { ReviewRoom, ReviewVersion } from './ReviewRoom'

type ReviewInfo = Awaited<ReturnType<typeof api.reviews.get.query>>
type Asset = NonNullable<ReviewInfo['asset']>

/** What a review room needs from the server before its documents are opened. */
export interface ReviewRoomData {
  review: ReviewInfo
  collabUrl: string
  user: { id: string; name: string }
  members: { id: string; name: string }[]
}

/** Loads the review, the collab address, the person and the organization's members. */
export async function loadReviewRoom(reviewId: string): Promise<ReviewRoomData> {
  const [review, config, me] = await Promise.all([
    api.reviews.get.query({ id: reviewId }),
    api.system.config.query(),
    api.auth.me.query(),
  ])
  if (me?.kind !== 'user') throw new Error('Sign in to open this review.')
  const members = await api.orgs.members.list
    .query({ orgId: review.orgId })
    .then((rows) => rows.map((m) => ({ id: m.userId, name: m.name })))
  return {
    review,
    collabUrl: config.collabUrl ?? `ws://${location.hostname}:4001`,
    user: { id: me.user.id, name: me.user.name },
    members,
  }
}

function versionOf(asset: Asset): ReviewVersion {
  const video = (asset.metadata as { video?: { fps?: { num: number; den: number }; durationFrames?: number } } | null)
    ?.video
  const fps = video?.fps && video.fps.num > 0 && video.fps.den > 0 ? video.fps : { num: 25, den: 1 }
  return {
    assetId: asset.id,
    name: asset.filename,
    version: asset.version,
    fps,
    frames: Number.isInteger(video?.durationFrames) ? video!.durationFrames! : null,
  }
}

/**
 * A small review room: the two documents' providers, the person, the members and a frame signal (no player). The
 * full review page builds its own with the player; this one is enough for the findings panel on its own. Call it
 * inside a component: the providers close with the owning scope.
 */
export function createReviewRoom(
  data: ReviewRoomData,
  options: { initialFrame?: number } = {},
): ReviewRoom & { status: Accessor<string | null> } {
  const { review } = data
  if (!review.asset) throw new Error('The reviewed version is gone.')
  const qaConnection = createProvider({ url: data.collabUrl, name: review.qaDocument.name })
  const workflowConnection = createProvider({ url: data.collabUrl, name: review.workflowDocument.name })
  const user = { ...data.user, color: userColor(data.user.id) }
  qaConnection.provider.setAwarenessField('user', user)
  const [frame, setFrame] = createSignal(Math.max(0, Math.floor(options.initialFrame ?? 0)))
  const [members] = createSignal(data.members)
  const [status, setStatus] = createSignal<string | null>(null)
  const [selectedFinding, selectFinding] = createSignal<string | null>(null)
  const room: ReviewRoom = {
    reviewId: review.id,
    projectId: review.projectId,
    orgId: review.orgId,
    title: review.title,
    version: versionOf(review.asset),
    compareTo: review.compareTo ? versionOf(review.compareTo) : null,
    qa: { doc: qaConnection.doc, provider: qaConnection.provider },
    workflow: { doc: workflowConnection.doc, provider: workflowConnection.provider },
    user,
    role: review.role,
    readOnly: () => review.qaDocument.access !== 'write' || qaConnection.readOnly() || qaConnection.ended() !== null,
    members,
    frame,
    seek: (f) => setFrame(Math.max(0, Math.floor(f))),
    paused: () => true,
    notify: (message) => {
      setStatus(message)
      setTimeout(() => setStatus((s) => (s === message ? null : s)), 5000)
    },
    selectedFinding,
    selectFinding,
  }
  // The page's status line reads `status`.
  return Object.assign(room, { status })
}
