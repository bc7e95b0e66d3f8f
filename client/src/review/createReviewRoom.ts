import { type Accessor, batch, createEffect, createMemo, createSignal, on, onCleanup, untrack } from 'solid-js'
import type { PresenceUser } from '../workspace/createAwarenessPeers'
import type { ProviderState } from '../workspace/createProvider'
import { type CompareState, decodeCompareState, encodeCompareState, normalizeCompare } from './compareState'
import { createReviewPeers, type ReviewPeer } from './createReviewPeers'
import type { ReviewRoom, ReviewVersion } from './ReviewRoom'

/** The review room with the page-level state around it: compare settings, presence, presenting and following. */
export interface ReviewRoomState {
  room: ReviewRoom
  compare: Accessor<CompareState>
  /** A change made by this person (ignored while following someone). */
  setCompare: (patch: Partial<CompareState>) => void
  /** The frame shown while playing (moves the playhead without a seek). */
  setPlayingFrame: (frame: number) => void
  setPaused: (paused: boolean) => void
  peers: Accessor<ReviewPeer[]>
  presenting: Accessor<boolean>
  setPresenting: (on: boolean) => void
  /** The client followed, or null. */
  following: Accessor<ReviewPeer | null>
  follow: (clientId: number | null) => void
  /** The last frame of the reviewed range (frames - 1), or null when unknown. */
  lastFrame: Accessor<number | null>
}

const URL_WRITE_MS = 250
const AWARENESS_WRITE_MS = 80

export function createReviewRoom(options: {
  reviewId: string
  projectId: string
  orgId: string
  title: string
  version: ReviewVersion
  compareTo: ReviewVersion | null
  qa: ProviderState
  workflow: ProviderState
  user: PresenceUser
  role: string
  qaAccess: 'read' | 'write'
  members: Accessor<{ id: string; name: string }[]>
  notify: (message: string) => void
}): ReviewRoomState {
  const provider = options.qa.provider
  provider.setAwarenessField('user', options.user)
  const peers = createReviewPeers(provider)
  // names of everyone seen in the room this session, kept after they leave (for authors and assignees)
  const seenNames = createMemo<Map<string, string>>(
    (prev) => {
      let next = prev
      for (const p of peers())
        if (p.user.id && next.get(p.user.id) !== p.user.name) {
          if (next === prev) next = new Map(prev)
          next.set(p.user.id, p.user.name)
        }
      return next
    },
    new Map(),
  )
  const [paused, setPaused] = createSignal(true)
  const [presenting, setPresentingRaw] = createSignal(false)
  const [followId, setFollowId] = createSignal<number | null>(null)
  const [selectedFinding, selectFinding] = createSignal<string | null>(null)

  const lastFrame = createMemo(() => {
    const frames = [options.version.frames, options.compareTo?.frames].filter((f): f is number => typeof f === 'number')
    return frames.length ? Math.max(0, Math.max(...frames) - 1) : null
  })
  const clampFrame = (frame: number) => {
    const last = lastFrame()
    return Math.max(0, last === null ? Math.floor(frame) : Math.min(last, Math.floor(frame)))
  }

  const initial = decodeCompareState(location.search)
  const [compare, setCompareRaw] = createSignal<CompareState>(
    { ...initial, frame: clampFrame(initial.frame) },
    { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  )

  const following = createMemo(() => {
    const id = followId()
    return id === null ? null : (peers().find((p) => p.clientId === id && !p.local) ?? null)
  })
  const setCompare = (patch: Partial<CompareState>) => {
    if (followId() !== null) {
      options.notify('You are following the presenter: stop following to change the view.')
      return
    }
    setCompareRaw((c) => normalizeCompare({ ...c, ...patch, frame: clampFrame(patch.frame ?? c.frame) }))
  }

  // Following: the presenter's playhead and compare settings become ours until they stop presenting or leave.
  createEffect(
    on(peers, () => {
      const id = untrack(followId)
      if (id === null) return
      const leader = peers().find((p) => p.clientId === id)
      if (!leader || !leader.presenting) {
        setFollowId(null)
        options.notify(leader ? `${leader.user.name} stopped presenting.` : 'The presenter left the review.')
        return
      }
      setCompareRaw((c) =>
        normalizeCompare({ ...c, ...(leader.compare ?? {}), frame: clampFrame(leader.frame ?? c.frame) }),
      )
    }),
  )
  const follow = (clientId: number | null) => {
    batch(() => {
      setFollowId(clientId)
      if (clientId !== null) setPresentingRaw(false)
    })
    // apply the presenter's state at once rather than on their next change
    if (clientId !== null) {
      const leader = peers().find((p) => p.clientId === clientId)
      if (leader)
        setCompareRaw((c) =>
          normalizeCompare({ ...c, ...(leader.compare ?? {}), frame: clampFrame(leader.frame ?? c.frame) }),
        )
    }
  }

  // The compare state in the URL (replaceState, throttled: playback would otherwise write 30 times a second).
  let urlTimer = 0
  createEffect(
    on(compare, (state) => {
      if (urlTimer) return
      urlTimer = window.setTimeout(() => {
        urlTimer = 0
        const query = encodeCompareState(untrack(compare), location.search)
        history.replaceState(history.state, '', `${location.pathname}?${query}`)
      }, URL_WRITE_MS)
      void state
    }),
  )
  // Presence: playhead, compare settings and presenting, at most every 80 ms (the last value always goes out).
  let awarenessTimer = 0
  let awarenessPending = false
  const publish = () => {
    const { frame, ...settings } = untrack(compare)
    provider.setAwarenessField('playhead', frame)
    provider.setAwarenessField('compare', settings)
  }
  createEffect(
    on(compare, () => {
      if (awarenessTimer) {
        awarenessPending = true
        return
      }
      publish()
      awarenessTimer = window.setTimeout(function flush() {
        if (awarenessPending) {
          awarenessPending = false
          publish()
          awarenessTimer = window.setTimeout(flush, AWARENESS_WRITE_MS)
        } else awarenessTimer = 0
      }, AWARENESS_WRITE_MS)
    }),
  )
  createEffect(() => provider.setAwarenessField('presenting', presenting()))
  onCleanup(() => {
    clearTimeout(urlTimer)
    clearTimeout(awarenessTimer)
  })

  const readOnly = createMemo(() => options.qaAccess === 'read' || options.qa.readOnly() || options.qa.ended() !== null)
  const room: ReviewRoom = {
    reviewId: options.reviewId,
    projectId: options.projectId,
    orgId: options.orgId,
    title: options.title,
    version: options.version,
    compareTo: options.compareTo,
    qa: { doc: options.qa.doc, provider },
    workflow: { doc: options.workflow.doc, provider: options.workflow.provider },
    user: options.user,
    role: options.role,
    readOnly,
    members: options.members,
    nameOf: (id) => {
      if (!id) return ''
      const member = options.members().find((m) => m.id === id)
      if (member) return member.name
      if (id === options.user.id) return options.user.name
      const seen = seenNames().get(id)
      if (seen) return seen
      return id.startsWith('guest:') ? `${id.slice('guest:'.length)} (guest)` : 'Studio member'
    },
    frame: () => compare().frame,
    seek: (frame) => setCompare({ frame }),
    paused,
    notify: options.notify,
    selectedFinding,
    selectFinding,
  }
  return {
    room,
    compare,
    setCompare,
    setPlayingFrame: (frame) => setCompareRaw((c) => ({ ...c, frame: clampFrame(frame) })),
    setPaused,
    peers,
    presenting,
    setPresenting: (on) => {
      if (on) setFollowId(null)
      setPresentingRaw(on)
    },
    following,
    follow,
    lastFrame,
  }
}
