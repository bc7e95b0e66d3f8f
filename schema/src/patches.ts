import { z } from 'zod'
import { ACTIONS, STATUSES } from './docs/qaWorkflow'
import { ErrorCode } from './errors'
import { DraftBlockSchema } from './retellDraft'

/**
 * Server-side document patches, api -> collab, on core NATS request/reply subject `Subjects.docPatch(docId)`
 * (`patches.doc.<docId>`). The collab instances subscribe in one queue group, so exactly one applies each request
 * and replies with a `DocPatchReply`. The api checks the caller's role before sending; the collab server trusts
 * the subject (NATS is internal) but still checks the document exists.
 */

/** Largest Yjs update a patch may carry, base64-encoded (NATS' default max payload is 1 MiB). */
export const MAX_PATCH_UPDATE_BASE64 = 900 * 1024

const uuid = z.string().uuid()
/** The person on whose behalf the api sends the patch (recorded as `doc_updates.user_id`, `doc_versions.created_by`). */
const actor = uuid.nullable().default(null)

export const DocPatchRequestSchema = z.discriminatedUnion('type', [
  /** Applies a Yjs update (base64) as a server change that no user's undo manager tracks. */
  z.object({
    type: z.literal('yjs-update'),
    update: z.base64().min(1).max(MAX_PATCH_UPDATE_BASE64),
    actorUserId: actor,
  }),
  /** Stores the live state as a named version in `doc_versions`; replies with its id. */
  z.object({ type: z.literal('create-version'), name: z.string().trim().min(1).max(200), actorUserId: actor }),
  /**
   * Makes the live document equal to a version's content by applying the difference as one new change, live for
   * everyone; history is never rewritten. Before applying, the current state is kept as a version named
   * `Before restoring "<name>"` (`undoVersionId` in the reply): restoring that one undoes the restore.
   */
  z.object({ type: z.literal('restore-version'), versionId: uuid, actorUserId: actor }),
  /**
   * One workflow change of a qa-workflow document, applied by collab with the qaWorkflow model against the live
   * document (so concurrent changes serialize there). The finding must exist in the review's qa document
   * (`qaDocumentId`). `onlyIfAssignee`: refuse with FORBIDDEN_ROLE unless the finding is assigned to that user
   * (checked in the same live state). An action that does not apply replies INVALID_STATE and changes nothing.
   * `eventId` is the idempotency key: the same op twice replies `changed: false`.
   */
  z.object({
    type: z.literal('qa-workflow-op'),
    qaDocumentId: uuid,
    findingId: z.string().min(1).max(200),
    eventId: z.string().min(1).max(200),
    /** The event's actor: a user id, or `key:<id>` for an API key. */
    actor: z.string().min(1).max(200),
    onlyIfAssignee: uuid.optional(),
    op: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('transition'), action: z.enum(ACTIONS) }),
      z.object({ kind: z.literal('assign'), assignee: uuid.nullable() }),
      z.object({
        kind: z.literal('set_due'),
        due: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/)
          .nullable(),
      }),
    ]),
    actorUserId: actor,
  }),
  /**
   * One recognised speech segment of a transcribe job, written into a transcript document as a paragraph in time
   * order (workers -> collab while the job runs, so the transcript fills in live). A paragraph with the same
   * `start` already there makes it a no-op, so a redelivered job or a repeated request writes nothing twice.
   */
  z.object({
    type: z.literal('transcript-segment'),
    meta: z.object({
      assetId: uuid,
      language: z.string().max(16),
      source: z.string().max(32),
      sampleRate: z.number().int().positive().max(384_000),
    }),
    segment: z.object({
      speaker: z.string().max(100),
      start: z.number().int().nonnegative(),
      end: z.number().int().nonnegative(),
      words: z
        .array(
          z.object({
            text: z.string().min(1).max(200),
            start: z.number().int().nonnegative(),
            end: z.number().int().nonnegative(),
            confidence: z.number().min(0).max(1),
          }),
        )
        .max(10_000),
    }),
    actorUserId: actor,
  }),
  /**
   * A retell job's draft, appended at the end of a retell document as new blocks that carry `draftId` (workers ->
   * collab, against the live document, so people's edits meanwhile stay). A draft already there is a no-op.
   */
  z.object({
    type: z.literal('retell-draft'),
    draftId: uuid,
    blocks: z.array(DraftBlockSchema).min(1).max(2000),
    actorUserId: actor,
  }),
  /** Removes the blocks of one draft from a retell document (its "Discard draft"), and nothing else. */
  z.object({ type: z.literal('retell-discard-draft'), draftId: uuid, actorUserId: actor }),
  /**
   * The synthesized audio of one narration block of a retell document (api -> collab, once the tts job's artifact
   * is recorded, so the audio can be played as soon as the block shows it). Sets the block's artifact, duration
   * (converted to the document's sample rate) and fingerprint; a linked timeline's narration track follows.
   * The same audio again is a no-op.
   */
  z.object({
    type: z.literal('narration-audio'),
    blockId: z.string().min(1).max(100),
    artifactId: uuid,
    samples: z.number().int().nonnegative(),
    sampleRate: z.number().int().positive().max(384_000),
    fingerprint: z.string().max(32),
    actorUserId: actor,
  }),
  /**
   * New times for words of one transcript paragraph (an align job's result for one chunk). Each word is found by
   * its paragraph (`paragraphStart`), its current text and its current times (`from`); a word someone changed or
   * removed meanwhile is not found and is left alone, so applying the same patch twice changes nothing.
   */
  z.object({
    type: z.literal('transcript-word-times'),
    paragraphStart: z.number().int().nonnegative(),
    words: z
      .array(
        z.object({
          text: z.string().min(1).max(200),
          from: z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }),
          start: z.number().int().nonnegative(),
          end: z.number().int().nonnegative(),
          confidence: z.number().min(0).max(1),
        }),
      )
      .max(10_000),
    actorUserId: actor,
  }),
])
export type DocPatchRequest = z.input<typeof DocPatchRequestSchema>

export const DocPatchReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** False when the patch changed nothing (applying the same patch twice). */
    changed: z.boolean(),
    versionId: uuid.optional(),
    /** retell-discard-draft: how many blocks were removed. */
    removed: z.number().int().nonnegative().optional(),
    /** restore-version: the version holding the state from just before the restore. */
    undoVersionId: uuid.optional(),
    /** qa-workflow-op: the finding's workflow after the op, and what the qa document says of the finding. */
    workflow: z
      .object({
        status: z.enum(STATUSES),
        assignee: z.string().nullable(),
        due: z.string().nullable(),
        /** Length of the document's event trail after the op: orders the api's copies of this state. */
        eventCount: z.number().int().min(0),
        finding: z.object({
          title: z.string(),
          severity: z.string(),
          frame: z.number().int(),
          frameEnd: z.number().int(),
        }),
      })
      .optional(),
  }),
  z.object({
    ok: z.literal(false),
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
  }),
])
export type DocPatchReply = z.infer<typeof DocPatchReplySchema>

/** Queue group of the collab instances on `patches.doc.*`. */
export const DOC_PATCH_QUEUE = 'collab'
/** Durable JetStream consumer of the collab server on stream EVENTS (artifact references into timelines). */
export const COLLAB_ARTIFACTS_CONSUMER = 'collab-artifacts'
