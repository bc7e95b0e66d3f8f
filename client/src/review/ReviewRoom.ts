import type { HocuspocusProvider } from '@hocuspocus/provider'
import type { Accessor } from 'solid-js'
import type * as Y from 'yjs'
import type { PresenceUser } from '../workspace/createAwarenessPeers'

/** A version shown in the review room: an asset of a version stack and its playable media. */
export interface ReviewVersion {
  assetId: string
  name: string
  /** 1, 2, ... within its stack. */
  version: number
  /** Frame rate of the version's own frame grid (frames in findings are integers on this grid). */
  fps: { num: number; den: number }
  /** Length in frames, when probed. */
  frames: number | null
  hlsUrl?: string
  sourceUrl?: string
}

/**
 * What every part of the review page shares: the review's two documents (the `qa` annotation trail, written by
 * reviewers and editors; the `qa-workflow`, read-only and changed through `qa.*`), the person, the versions being
 * compared and the frame everyone's tools act on. The page (ReviewPage.tsx) creates it; the player, the
 * annotation layer and the findings panel read it.
 */
export interface ReviewRoom {
  reviewId: string
  projectId: string
  orgId: string
  title: string
  /** The reviewed version; `compareTo` the one it is compared with (absent for a single-version review). */
  version: ReviewVersion
  compareTo: ReviewVersion | null
  qa: { doc: Y.Doc; provider: HocuspocusProvider }
  workflow: { doc: Y.Doc; provider: HocuspocusProvider }
  user: PresenceUser
  /** The person's role in the organization (owner, admin, editor, reviewer, viewer, or guest). */
  role: string
  /** True when this person cannot write the qa document (viewers, ended connections). */
  readOnly: Accessor<boolean>
  /** Members of the project's organization, for assignees and @mentions. */
  members: Accessor<{ id: string; name: string }[]>
  /**
   * A person's display name for an id in the documents (author, assignee): a member's name, else the name they
   * had in the room's presence this session, else a guest's own name, else a neutral "Studio member" (a guest
   * gets no member list and must never be shown a raw user id).
   */
  nameOf: (id: string | null) => string
  /** The frame shown, on `version`'s frame grid. */
  frame: Accessor<number>
  /** Moves the player (and everyone following this person) to a frame. */
  seek: (frame: number) => void
  paused: Accessor<boolean>
  /** Shows a short message in the page's status area. */
  notify: (message: string) => void
  /** The finding new shapes are added to (null: a shape drawn makes a new finding at the frame). */
  selectedFinding: Accessor<string | null>
  selectFinding: (id: string | null) => void
}
