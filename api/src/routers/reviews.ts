import { documentAccess, documentName, ErrorCode, isUuid, tables } from '@cutroom/schema'
import { and, desc, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { loadProjectForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { emitWebhookEvent } from '../webhooks/emitWebhookEvent'
import { idempotent } from '../idempotency'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { loadReview, reviewColumns } from '../reviews/loadReview'
import { qaFirstUpdate, workflowFirstUpdate } from '../reviews/reviewFirstUpdates'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

/** Statuses in which an asset's bytes are in storage and it can be compared. */
const REVIEWABLE = ['uploaded', 'processing', 'ready'] as const

const assetSummary = {
  id: tables.assets.id,
  projectId: tables.assets.projectId,
  filename: tables.assets.filename,
  status: tables.assets.status,
  stackId: tables.assets.stackId,
  version: tables.assets.version,
  metadata: tables.assets.metadata,
  storageKey: tables.assets.storageKey,
}

/** Reviews: an asset version (optionally against another) with its qa and qa-workflow documents. */
export const reviewsRouter = router({
  /**
   * Creates the review's qa and qa-workflow documents and, with `compareTo`, dispatches a framediff job of the
   * two versions whose overlay lands in the qa document. Owners, admins, editors and reviewers.
   */
  create: authedProcedure
    .use(rateLimit('reviews.create', 200, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        projectId: Id,
        assetId: Id,
        compareTo: Id.optional(),
        title: z.string().trim().min(1).max(200).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'qa.review')
      if (input.compareTo !== undefined && input.compareTo === input.assetId)
        throw apiError(ErrorCode.BAD_INPUT, 'Compare the asset with another version, not with itself.')
      const ids = [input.assetId, ...(input.compareTo ? [input.compareTo] : [])]
      const found = await ctx.services.db
        .select(assetSummary)
        .from(tables.assets)
        .where(and(eq(tables.assets.projectId, project.id), inArray(tables.assets.id, ids.filter(isUuid))))
      const asset = found.find((a) => a.id === input.assetId)
      const other = input.compareTo ? found.find((a) => a.id === input.compareTo) : null
      if (!asset || other === undefined) throw apiError(ErrorCode.NOT_FOUND, 'Asset not found in this project.')
      for (const a of [asset, ...(other ? [other] : [])])
        if (!(REVIEWABLE as readonly string[]).includes(a.status))
          throw apiError(
            ErrorCode.INVALID_STATE,
            `${a.filename} (version ${a.version}) is ${a.status}; review a version whose upload has completed.`,
          )
      if (other) await assertProcessingAllowed(ctx.services.db, project.orgId)
      const createdBy = actorOf(ctx.principal).userId
      const title =
        input.title ??
        (other ? `${asset.filename}: v${other.version} → v${asset.version}` : `${asset.filename} v${asset.version}`)
      const { review, payloads } = await ctx.services.db.transaction(async (tx) => {
        if (other) await assertConcurrencyAllowed(tx, project.orgId, 1)
        const [qaDoc, workflowDoc] = await tx
          .insert(tables.documents)
          .values([
            { projectId: project.id, kind: 'qa' as const, title: `${title} — notes`.slice(0, 200), createdBy },
            {
              projectId: project.id,
              kind: 'qa-workflow' as const,
              title: `${title} — workflow`.slice(0, 200),
              createdBy,
            },
          ])
          .returning({ id: tables.documents.id, kind: tables.documents.kind })
        const qaId = qaDoc!.kind === 'qa' ? qaDoc!.id : workflowDoc!.id
        const workflowId = qaId === qaDoc!.id ? workflowDoc!.id : qaDoc!.id
        await tx.insert(tables.docUpdates).values([
          { docId: qaId, seq: 1, update: qaFirstUpdate(), userId: null },
          { docId: workflowId, seq: 1, update: workflowFirstUpdate(qaId), userId: null },
        ])
        const reviewId = crypto.randomUUID()
        const payloads = other
          ? await mediaOf(ctx.services).dispatcher.insert(tx, [
              {
                kind: 'framediff',
                orgId: project.orgId,
                projectId: project.id,
                assetId: asset.id,
                input: {
                  assetA: { assetId: other.id, sourceKey: other.storageKey },
                  assetB: { assetId: asset.id, sourceKey: asset.storageKey },
                  documentId: qaId,
                },
                createdBy,
              },
            ])
          : []
        const [review] = await tx
          .insert(tables.reviews)
          .values({
            id: reviewId,
            orgId: project.orgId,
            projectId: project.id,
            assetId: asset.id,
            compareToAssetId: other?.id ?? null,
            title,
            qaDocumentId: qaId,
            workflowDocumentId: workflowId,
            framediffJobId: payloads[0]?.jobId ?? null,
            createdBy,
          })
          .returning(reviewColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'review.create',
          targetType: 'review',
          targetId: reviewId,
          details: {
            projectId: project.id,
            assetId: asset.id,
            compareTo: other?.id ?? null,
            qaDocumentId: qaId,
            workflowDocumentId: workflowId,
            framediffJobId: payloads[0]?.jobId ?? null,
          },
        })
        await emitWebhookEvent(tx, project.orgId, 'review.created', {
          reviewId,
          projectId: project.id,
          assetId: asset.id,
          compareTo: other?.id ?? null,
          title,
        })
        return { review: review!, payloads }
      })
      ctx.services.webhooks?.poke()
      if (payloads.length) await mediaOf(ctx.services).dispatcher.publish(payloads)
      return {
        id: review.id,
        title: review.title,
        qaDocumentId: review.qaDocumentId,
        workflowDocumentId: review.workflowDocumentId,
        framediffJobId: review.framediffJobId,
      }
    }),

  /** The project's reviews, newest first. */
  list: authedProcedure.input(z.object({ projectId: Id })).query(async ({ ctx, input }) => {
    const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'document.read')
    return ctx.services.db
      .select(reviewColumns)
      .from(tables.reviews)
      .where(eq(tables.reviews.projectId, project.id))
      .orderBy(desc(tables.reviews.createdAt))
      .limit(500)
  }),

  /** One review with its documents (collab names and the caller's access), its versions and the framediff job. */
  get: authedProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const { review, role } = await loadReview(ctx, input.id, 'document.read')
    const db = ctx.services.db
    const assetIds = [review.assetId, ...(review.compareToAssetId ? [review.compareToAssetId] : [])]
    const { storageKey: _key, ...visibleAsset } = assetSummary
    const [docs, assets, jobs] = await Promise.all([
      db
        .select({ id: tables.documents.id, kind: tables.documents.kind, title: tables.documents.title })
        .from(tables.documents)
        .where(inArray(tables.documents.id, [review.qaDocumentId, review.workflowDocumentId])),
      db.select(visibleAsset).from(tables.assets).where(inArray(tables.assets.id, assetIds)),
      review.framediffJobId
        ? db
            .select({
              id: tables.jobs.id,
              status: tables.jobs.status,
              progress: tables.jobs.progress,
              error: tables.jobs.error,
              attempt: tables.jobs.attempt,
              finishedAt: tables.jobs.finishedAt,
            })
            .from(tables.jobs)
            .where(eq(tables.jobs.id, review.framediffJobId))
        : Promise.resolve([]),
    ])
    const doc = (id: string) => {
      const d = docs.find((x) => x.id === id)!
      return { ...d, name: documentName(d.id), access: documentAccess(role, d.kind) }
    }
    return {
      ...review,
      role,
      qaDocument: doc(review.qaDocumentId),
      workflowDocument: doc(review.workflowDocumentId),
      asset: assets.find((a) => a.id === review.assetId) ?? null,
      compareTo: review.compareToAssetId ? (assets.find((a) => a.id === review.compareToAssetId) ?? null) : null,
      framediffJob: jobs[0] ?? null,
    }
  }),
})
