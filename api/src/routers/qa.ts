import {
  ErrorCode,
  type FrameRate,
  isUuid,
  QA_ASSIGNEE_CHANGES,
  QA_WORKFLOW_ROLES,
  type QaWorkflowChange,
  qa,
  qaWorkflow,
  type Role,
  tables,
} from '@cutroom/schema'
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { emitWebhookEvent } from '../webhooks/emitWebhookEvent'
import type { Context } from '../context'
import { readDocumentState } from '../documents/readDocumentState'
import { requestDocPatch } from '../documents/requestDocPatch'
import { actorOf, type Principal } from '../principal'
import { loadReview, type ReviewRow } from '../reviews/loadReview'
import {
  MAX_EDL_EVENTS,
  NOTE_CONTENT_TYPES,
  NOTE_FORMATS,
  type NoteRow,
  notesCsv,
  notesEdl,
  notesFcpxml,
} from '../reviews/reviewNotes'
import { authedProcedure, router, userProcedure } from '../trpc'
import { Id } from './inputs'

type Authed = Pick<Context, 'services'> & { principal: Principal }

const FindingId = z.string().min(1).max(200)
const DueDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'due is a date YYYY-MM-DD.')
  .refine((d) => new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d, 'due is not a calendar date.')

/** The event actor recorded in the workflow document: the person's id, or `key:<id>` for an API key. */
function actorString(p: Principal): string {
  return p.kind === 'user' ? p.user.id : `key:${p.apiKeyId}`
}

function forbidden(role: Role, change: QaWorkflowChange) {
  const allowed: readonly string[] = QA_WORKFLOW_ROLES[change]
  const assignee = QA_ASSIGNEE_CHANGES.includes(change) ? ' or the assignee' : ''
  return apiError(
    ErrorCode.FORBIDDEN_ROLE,
    `Your role (${role}) cannot ${change
      .replace(/([A-Z])/g, ' $1')
      .replace('_', ' ')
      .toLowerCase()} findings; it needs ${allowed.join(', ')}${assignee}.`,
  )
}

/**
 * Checks the role for a workflow change. Returns the user the change is conditional on (the assignee, checked
 * by collab in the live document) when only being the assignee would allow it.
 */
function authorizeChange(ctx: Authed, role: Role, change: QaWorkflowChange): string | undefined {
  if ((QA_WORKFLOW_ROLES[change] as readonly Role[]).includes(role)) return undefined
  if (role !== 'viewer' && QA_ASSIGNEE_CHANGES.includes(change) && ctx.principal.kind === 'user')
    return ctx.principal.user.id
  throw forbidden(role, change)
}

/**
 * Applies one workflow change through collab (the live document decides whether it applies), then records the
 * finding's new state in `qa_findings` and the audit row. A refused change writes nothing anywhere.
 */
async function changeWorkflow(
  ctx: Authed,
  review: ReviewRow,
  findingId: string,
  onlyIfAssignee: string | undefined,
  op:
    | { kind: 'transition'; action: qaWorkflow.Action }
    | { kind: 'assign'; assignee: string | null }
    | { kind: 'set_due'; due: string | null },
  audit: { action: string; details: Record<string, unknown> },
) {
  const reply = await requestDocPatch(ctx, review.workflowDocumentId, {
    type: 'qa-workflow-op',
    qaDocumentId: review.qaDocumentId,
    findingId,
    eventId: crypto.randomUUID(),
    actor: actorString(ctx.principal),
    actorUserId: actorOf(ctx.principal).userId,
    onlyIfAssignee,
    op,
  })
  const w = reply.workflow
  if (!w) throw apiError(ErrorCode.INTERNAL, 'The collaboration server sent no workflow state; try again.')
  const row = {
    reviewId: review.id,
    findingId,
    orgId: review.orgId,
    projectId: review.projectId,
    status: w.status,
    assigneeId: w.assignee && isUuid(w.assignee) ? w.assignee : null,
    due: w.due,
    title: w.finding.title.slice(0, 500),
    severity: w.finding.severity,
    frame: w.finding.frame,
    frameEnd: w.finding.frameEnd,
    eventCount: w.eventCount,
    updatedAt: new Date(),
  }
  await ctx.services.db.transaction(async (tx) => {
    // Replies of concurrent changes may arrive in any order: only a later state of the trail overwrites.
    const upserted = await tx
      .insert(tables.qaFindings)
      .values(row)
      .onConflictDoUpdate({
        target: [tables.qaFindings.reviewId, tables.qaFindings.findingId],
        set: {
          status: row.status,
          assigneeId: row.assigneeId,
          due: row.due,
          title: row.title,
          severity: row.severity,
          frame: row.frame,
          frameEnd: row.frameEnd,
          eventCount: row.eventCount,
          updatedAt: row.updatedAt,
        },
        setWhere: sql`${tables.qaFindings.eventCount} < excluded.event_count`,
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` })
    const data = {
      reviewId: review.id,
      findingId,
      projectId: review.projectId,
      status: w.status,
      assigneeId: row.assigneeId,
      due: w.due,
    }
    // Collab inserts the row (and announces the finding) when the finding appears in the qa document; an insert
    // here means it did not get to, and the finding is announced now instead.
    if (upserted[0]?.inserted)
      await emitWebhookEvent(tx, review.orgId, 'finding.created', { ...data, title: row.title, severity: row.severity })
    if (reply.changed && op.kind === 'assign') await emitWebhookEvent(tx, review.orgId, 'finding.assigned', data)
    if (reply.changed && op.kind === 'transition') {
      await emitWebhookEvent(tx, review.orgId, 'finding.status_changed', { ...data, action: op.action })
      if (w.status === 'approved') {
        const [open] = await tx.execute<{ n: string }>(
          sql`select count(*) as n from qa_findings where review_id = ${review.id} and status <> 'approved'`,
        )
        if (Number(open?.n ?? 1) === 0)
          await emitWebhookEvent(tx, review.orgId, 'review.approved', {
            reviewId: review.id,
            projectId: review.projectId,
          })
      }
    }
    await writeAudit(tx, ctx.principal, {
      orgId: review.orgId,
      action: audit.action,
      targetType: 'finding',
      targetId: findingId,
      details: { reviewId: review.id, ...audit.details },
    })
  })
  ctx.services.webhooks?.poke()
  return {
    reviewId: review.id,
    findingId,
    status: w.status,
    assigneeId: w.assignee,
    due: w.due,
    changed: reply.changed,
  }
}

/** The version's frame rate from its probe, for frame-accurate notes. */
function frameRateOf(
  metadata: Record<string, unknown> | null,
  project: { fpsNum: number; fpsDen: number },
): FrameRate | null {
  if (!metadata) return null
  const video = metadata.video as { fps?: FrameRate } | null | undefined
  const fps = video?.fps
  if (fps && Number.isInteger(fps.num) && Number.isInteger(fps.den) && fps.num > 0 && fps.den > 0) return fps
  // An audio-only version has no picture rate of its own: its notes use the project's.
  return metadata.hasVideo === false ? { num: project.fpsNum, den: project.fpsDen } : null
}

/** `qa.*`: the review workflow. The qa-workflow document is written only here, through collab. */
export const qaRouter = router({
  assign: authedProcedure
    .input(z.object({ reviewId: Id, findingId: FindingId, assigneeId: Id.nullable() }))
    .mutation(async ({ ctx, input }) => {
      const { review, role } = await loadReview(ctx, input.reviewId, 'document.read')
      authorizeChange(ctx, role, 'assign')
      if (input.assigneeId !== null) {
        const notMember = () =>
          apiError(
            ErrorCode.BAD_INPUT,
            'The assignee is not a member of this organization; add them first, then assign.',
          )
        if (!isUuid(input.assigneeId)) throw notMember()
        const [member] = await ctx.services.db
          .select({ userId: tables.memberships.userId })
          .from(tables.memberships)
          .where(and(eq(tables.memberships.orgId, review.orgId), eq(tables.memberships.userId, input.assigneeId)))
        if (!member) throw notMember()
      }
      return changeWorkflow(
        ctx,
        review,
        input.findingId,
        undefined,
        { kind: 'assign', assignee: input.assigneeId },
        {
          action: 'qa.assign',
          details: { assigneeId: input.assigneeId },
        },
      )
    }),

  setDue: authedProcedure
    .input(z.object({ reviewId: Id, findingId: FindingId, due: DueDate.nullable() }))
    .mutation(async ({ ctx, input }) => {
      const { review, role } = await loadReview(ctx, input.reviewId, 'document.read')
      authorizeChange(ctx, role, 'setDue')
      return changeWorkflow(
        ctx,
        review,
        input.findingId,
        undefined,
        { kind: 'set_due', due: input.due },
        {
          action: 'qa.set_due',
          details: { due: input.due },
        },
      )
    }),

  transition: authedProcedure
    .input(z.object({ reviewId: Id, findingId: FindingId, action: z.enum(qaWorkflow.ACTIONS) }))
    .mutation(async ({ ctx, input }) => {
      const { review, role } = await loadReview(ctx, input.reviewId, 'document.read')
      const onlyIfAssignee = authorizeChange(ctx, role, input.action)
      return changeWorkflow(
        ctx,
        review,
        input.findingId,
        onlyIfAssignee,
        { kind: 'transition', action: input.action },
        {
          action: 'qa.transition',
          details: { action: input.action, asAssignee: onlyIfAssignee !== undefined },
        },
      )
    }),

  /** The caller's assigned findings across the organization's projects (not yet approved), overdue first. */
  myFindings: userProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.read')
    const today = sql`(now() at time zone 'utc')::date`
    const overdue = sql<boolean>`coalesce(${tables.qaFindings.due} < ${today}, false)`
    return ctx.services.db
      .select({
        reviewId: tables.qaFindings.reviewId,
        findingId: tables.qaFindings.findingId,
        projectId: tables.qaFindings.projectId,
        projectName: tables.projects.name,
        reviewTitle: tables.reviews.title,
        qaDocumentId: tables.reviews.qaDocumentId,
        title: tables.qaFindings.title,
        severity: tables.qaFindings.severity,
        status: tables.qaFindings.status,
        due: tables.qaFindings.due,
        overdue,
        frame: tables.qaFindings.frame,
        frameEnd: tables.qaFindings.frameEnd,
        updatedAt: tables.qaFindings.updatedAt,
      })
      .from(tables.qaFindings)
      .innerJoin(tables.reviews, eq(tables.reviews.id, tables.qaFindings.reviewId))
      .innerJoin(tables.projects, eq(tables.projects.id, tables.qaFindings.projectId))
      .where(
        and(
          eq(tables.qaFindings.orgId, input.orgId),
          eq(tables.qaFindings.assigneeId, ctx.principal.user.id),
          ne(tables.qaFindings.status, 'approved'),
        ),
      )
      .orderBy(sql`${overdue} desc`, sql`${tables.qaFindings.due} asc nulls last`, asc(tables.qaFindings.updatedAt))
      .limit(500)
  }),

  /** The review's findings as notes for an NLE or a spreadsheet, frame-accurate at the reviewed version's rate. */
  exportNotes: authedProcedure
    .input(z.object({ reviewId: Id, format: z.enum(NOTE_FORMATS) }))
    .query(async ({ ctx, input }) => {
      const { review } = await loadReview(ctx, input.reviewId, 'document.read')
      const db = ctx.services.db
      const [row] = await db
        .select({
          filename: tables.assets.filename,
          metadata: tables.assets.metadata,
          fpsNum: tables.projects.fpsNum,
          fpsDen: tables.projects.fpsDen,
        })
        .from(tables.assets)
        .innerJoin(tables.projects, eq(tables.projects.id, tables.assets.projectId))
        .where(eq(tables.assets.id, review.assetId))
      const fps = row ? frameRateOf(row.metadata ?? null, row) : null
      if (!row || !fps)
        throw apiError(
          ErrorCode.INVALID_STATE,
          'The reviewed version has not been probed yet, so its frame rate is unknown; export once it is processed.',
        )
      const [qaDoc, workflowDoc] = await Promise.all([
        readDocumentState(db, review.qaDocumentId),
        readDocumentState(db, review.workflowDocumentId),
      ])
      try {
        const findings = qa.listFindings(qaDoc)
        if (input.format === 'edl' && findings.length > MAX_EDL_EVENTS)
          throw apiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            `An EDL holds at most ${MAX_EDL_EVENTS} events and this review has ${findings.length} findings; export CSV or FCPXML.`,
          )
        const workflows = new Map(findings.map((f) => [f.id, qaWorkflow.getWorkflow(workflowDoc, f.id)]))
        const assigneeIds = [
          ...new Set([...workflows.values()].map((w) => w.assignee).filter((a): a is string => !!a && isUuid(a))),
        ]
        const people = assigneeIds.length
          ? await db
              .select({ id: tables.users.id, name: tables.users.name })
              .from(tables.users)
              .where(inArray(tables.users.id, assigneeIds))
          : []
        const nameOf = new Map(people.map((p) => [p.id, p.name]))
        const notes: NoteRow[] = findings.map((f) => {
          const w = workflows.get(f.id)!
          return {
            id: f.id,
            title: f.title,
            severity: f.severity,
            status: w.status,
            assignee: w.assignee ? (nameOf.get(w.assignee) ?? w.assignee) : null,
            due: w.due,
            frame: f.frame,
            frameEnd: f.frameEnd,
            author: f.author,
            comments: f.thread.map((c) => c.text),
          }
        })
        const probed = (row.metadata?.video as { durationFrames?: number } | null | undefined)?.durationFrames
        const notesInput = {
          title: review.title,
          clipName: row.filename,
          fps,
          durationFrames: Math.max(Number.isInteger(probed) ? probed! : 0, ...notes.map((n) => n.frameEnd + 1), 1),
          notes,
        }
        const text =
          input.format === 'csv'
            ? notesCsv(notesInput)
            : input.format === 'edl'
              ? notesEdl(notesInput)
              : notesFcpxml(notesInput)
        const base = review.title.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'review'
        return {
          format: input.format,
          contentType: NOTE_CONTENT_TYPES[input.format],
          filename: `${base}.${input.format}`,
          fps,
          count: notes.length,
          text,
        }
      } finally {
        qaDoc.destroy()
        workflowDoc.destroy()
      }
    }),
})
