import {
  documentAccess,
  documentName,
  ErrorCode,
  GUEST_TOKEN_PREFIX,
  generateToken,
  hashToken,
  isUuid,
  type Role,
  tables,
} from '@cutroom/schema'
import { TRPCError } from '@trpc/server'
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm'
import { z } from 'zod'
import { loadProjectForPrincipal } from '../access'
import { apiError, stableCodeOf } from '../apiError'
import type { Context } from '../context'
import type { Db } from '../db'
import { writeAudit } from '../audit'
import { emitWebhookEvent } from '../webhooks/emitWebhookEvent'
import { idempotent } from '../idempotency'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { artifactUrl } from '../media/artifactUrl'
import { mediaOf } from '../media/mediaOf'
import { sourceUrl } from '../media/sourceUrl'
import { actorOf } from '../principal'
import { publishAccessChange } from '../publishAccessChange'
import { rateLimit } from '../rateLimit'
import { loadReview, type ReviewRow, reviewColumns } from '../reviews/loadReview'
import { qaFirstUpdate, workflowFirstUpdate } from '../reviews/reviewFirstUpdates'
import { GUEST_SESSION_HOURS, type ReviewGuest, SHARE_MAX_DAYS } from '../reviews/reviewGuests'
import { authedProcedure, publicProcedure, router } from '../trpc'
import { DisplayName, Id } from './inputs'

const DAY_MS = 24 * 60 * 60 * 1000

const shareColumns = {
  id: tables.reviewShares.id,
  orgId: tables.reviewShares.orgId,
  reviewId: tables.reviewShares.reviewId,
  allowComments: tables.reviewShares.allowComments,
  expiresAt: tables.reviewShares.expiresAt,
  createdBy: tables.reviewShares.createdBy,
  createdAt: tables.reviewShares.createdAt,
  revokedAt: tables.reviewShares.revokedAt,
}
type ShareRow = { [K in keyof typeof shareColumns]: (typeof tables.reviewShares.$inferSelect)[K] }

/** A link as clients see it: its state spelled out, never its token. */
function publicShare(s: ShareRow) {
  const status = s.revokedAt ? 'revoked' : s.expiresAt.getTime() <= Date.now() ? 'expired' : 'active'
  return {
    id: s.id,
    reviewId: s.reviewId,
    allowComments: s.allowComments,
    expiresAt: s.expiresAt,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    revokedAt: s.revokedAt,
    status: status as 'active' | 'expired' | 'revoked',
  }
}

/** The page a guest opens: `<PUBLIC_URL or the app's origin>/r/<token>`. */
function shareUrl(ctx: Pick<Context, 'services' | 'req'>, token: string): string {
  const { config } = ctx.services
  const origin = ctx.req?.headers.origin
  const base =
    config.PUBLIC_URL ??
    (origin && /^https?:\/\/[^/\s]{1,260}$/.test(origin) ? origin : `http://${config.API_HOST}:${config.API_PORT}`)
  return `${base.replace(/\/+$/, '')}/r/${token}`
}

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

  /**
   * One review with its documents (collab names and the caller's access), its versions (with their playable media)
   * and the framediff job. Members by role; a review-link guest only for the link's review.
   */
  get: publicProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const guest = ctx.guest?.reviewId === input.id ? ctx.guest : null
    if (ctx.principal) {
      try {
        const { review, role } = await loadReview({ ...ctx, principal: ctx.principal }, input.id, 'document.read')
        return reviewDetails(ctx.services.db, review, role, null)
      } catch (err) {
        // a signed-in person who also holds this review's link (not a member of its organization) sees it as a guest
        if (!guest || !(err instanceof TRPCError) || stableCodeOf(err) !== ErrorCode.NOT_FOUND) throw err
      }
    } else if (!ctx.guest) {
      throw apiError(
        ErrorCode.UNAUTHENTICATED,
        ctx.credentialRejected
          ? 'Your session, API key or review link is invalid, expired or revoked. Sign in again or ask for a new link.'
          : 'Sign in, open a review link, or send an API key as `Authorization: Bearer crk_...`.',
      )
    }
    if (!guest) throw apiError(ErrorCode.NOT_FOUND, 'Review not found.')
    const [review] = await ctx.services.db
      .select(reviewColumns)
      .from(tables.reviews)
      .where(eq(tables.reviews.id, guest.reviewId))
    if (!review) throw apiError(ErrorCode.NOT_FOUND, 'Review not found.')
    return reviewDetails(ctx.services.db, review, 'guest', guest)
  }),

  /**
   * A review link: anyone holding it may join this review as a named guest until `expiresAt` (at most 90 days
   * ahead) or until it is revoked. The token is in `url`, shown only in this answer. Owners, admins, editors and
   * reviewers.
   */
  share: authedProcedure
    .use(rateLimit('reviews.share', 100, 60 * 60))
    .input(
      z.object({
        reviewId: Id,
        expiresAt: z.iso.datetime({ offset: true }),
        allowComments: z.boolean(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { review } = await loadReview(ctx, input.reviewId, 'qa.review')
      const expiresAt = new Date(input.expiresAt)
      const now = Date.now()
      if (!(expiresAt.getTime() > now) || expiresAt.getTime() > now + SHARE_MAX_DAYS * DAY_MS)
        throw apiError(
          ErrorCode.BAD_INPUT,
          `Choose an expiry in the future and at most ${SHARE_MAX_DAYS} days from now.`,
        )
      const token = generateToken()
      const share = await ctx.services.db.transaction(async (tx) => {
        const [share] = await tx
          .insert(tables.reviewShares)
          .values({
            orgId: review.orgId,
            reviewId: review.id,
            tokenHash: hashToken(token),
            allowComments: input.allowComments,
            expiresAt,
            createdBy: actorOf(ctx.principal).userId,
          })
          .returning(shareColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: review.orgId,
          action: 'review.share',
          targetType: 'review_share',
          targetId: share!.id,
          details: { reviewId: review.id, expiresAt: expiresAt.toISOString(), allowComments: input.allowComments },
        })
        return share!
      })
      return { ...publicShare(share), url: shareUrl(ctx, token) }
    }),

  /** The review's links, newest first, without their tokens. Owners, admins, editors and reviewers. */
  shares: authedProcedure.input(z.object({ reviewId: Id })).query(async ({ ctx, input }) => {
    const { review } = await loadReview(ctx, input.reviewId, 'qa.review')
    const rows = await ctx.services.db
      .select({
        ...shareColumns,
        createdByName: tables.users.name,
        guests:
          sql<number>`(select count(*) from ${tables.reviewGuests} g where g.share_id = ${tables.reviewShares.id} and g.expires_at > now())`.mapWith(
            Number,
          ),
      })
      .from(tables.reviewShares)
      .leftJoin(tables.users, eq(tables.users.id, tables.reviewShares.createdBy))
      .where(eq(tables.reviewShares.reviewId, review.id))
      .orderBy(desc(tables.reviewShares.createdAt))
      .limit(200)
    return rows.map((r) => ({ ...publicShare(r), createdByName: r.createdByName, guests: r.guests }))
  }),

  /**
   * Ends a review link: it can no longer be opened, and every guest who joined through it loses access at once
   * (open document connections close). Revoking a revoked link changes nothing.
   */
  revokeShare: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Review link not found.')
    if (!isUuid(input.id)) throw notFound()
    const [found] = await ctx.services.db
      .select(shareColumns)
      .from(tables.reviewShares)
      .where(eq(tables.reviewShares.id, input.id))
    if (!found) throw notFound()
    try {
      await loadReview(ctx, found.reviewId, 'qa.review')
    } catch (err) {
      if (err instanceof TRPCError && stableCodeOf(err) === ErrorCode.NOT_FOUND) throw notFound()
      throw err
    }
    if (found.revokedAt) return publicShare(found)
    const share = await ctx.services.db.transaction(async (tx) => {
      const [share] = await tx
        .update(tables.reviewShares)
        .set({ revokedAt: new Date() })
        .where(and(eq(tables.reviewShares.id, found.id), isNull(tables.reviewShares.revokedAt)))
        .returning(shareColumns)
      if (!share) return null
      await tx.delete(tables.reviewGuests).where(eq(tables.reviewGuests.shareId, share.id))
      await writeAudit(tx, ctx.principal, {
        orgId: share.orgId,
        action: 'review.revokeShare',
        targetType: 'review_share',
        targetId: share.id,
        details: { reviewId: share.reviewId },
      })
      return share
    })
    if (!share) return publicShare(found)
    publishAccessChange(ctx.services, { orgId: share.orgId, shareId: share.id, reason: 'share-revoked' })
    return publicShare(share)
  }),

  /**
   * Exchanges a review link's token and a name for a guest credential limited to that review: returned as `token`
   * (for `Authorization: Bearer crg_…` and collab) and, for browsers, in the HttpOnly `cutroom_guest` cookie. It
   * lasts 12 hours, never past the link's expiry, and ends when the link is revoked.
   */
  guestJoin: publicProcedure
    .use(rateLimit('reviews.guestJoin', 30, 60 * 60))
    .input(z.object({ token: z.string().trim().min(1).max(128), name: DisplayName }))
    .mutation(async ({ ctx, input }) => {
      const db = ctx.services.db
      const [share] = await db
        .select({ ...shareColumns, projectId: tables.reviews.projectId })
        .from(tables.reviewShares)
        .innerJoin(tables.reviews, eq(tables.reviews.id, tables.reviewShares.reviewId))
        .where(eq(tables.reviewShares.tokenHash, hashToken(input.token)))
      if (!share)
        throw apiError(
          ErrorCode.NOT_FOUND,
          'This review link is not valid. Check that it was copied whole, or ask for a new one.',
        )
      if (share.revokedAt)
        throw apiError(
          ErrorCode.LINK_REVOKED,
          'This review link was revoked by the people who shared it. Ask them for a new link.',
        )
      if (share.expiresAt.getTime() <= Date.now())
        throw apiError(
          ErrorCode.LINK_EXPIRED,
          `This review link expired on ${share.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Ask for a new link.`,
        )
      const token = `${GUEST_TOKEN_PREFIX}${generateToken()}`
      const expiresAt = new Date(Math.min(Date.now() + GUEST_SESSION_HOURS * 60 * 60 * 1000, share.expiresAt.getTime()))
      await db.transaction(async (tx) => {
        await tx
          .insert(tables.reviewGuests)
          .values({ id: hashToken(token), shareId: share.id, name: input.name, expiresAt })
        // no principal: the guest is named in the details
        await tx.insert(tables.auditLog).values({
          orgId: share.orgId,
          actorUserId: null,
          actorApiKeyId: null,
          action: 'review.guestJoin',
          targetType: 'review_share',
          targetId: share.id,
          details: { reviewId: share.reviewId, guestName: input.name, ip: ctx.ip },
        })
      })
      ctx.setGuestCookie(token, expiresAt)
      return {
        token,
        name: input.name,
        reviewId: share.reviewId,
        projectId: share.projectId,
        allowComments: share.allowComments,
        expiresAt,
      }
    }),
})

/** What `reviews.get` answers, for a member (`role`) or a guest of the review's link. */
async function reviewDetails(db: Db, review: ReviewRow, role: Role | 'guest', guest: ReviewGuest | null) {
  const assetIds = [review.assetId, ...(review.compareToAssetId ? [review.compareToAssetId] : [])]
  const { storageKey: _key, ...visibleAsset } = assetSummary
  const [docs, assets, artifacts, jobs] = await Promise.all([
    db
      .select({ id: tables.documents.id, kind: tables.documents.kind, title: tables.documents.title })
      .from(tables.documents)
      .where(inArray(tables.documents.id, [review.qaDocumentId, review.workflowDocumentId])),
    db.select(visibleAsset).from(tables.assets).where(inArray(tables.assets.id, assetIds)),
    db
      .select({
        id: tables.artifacts.id,
        assetId: tables.artifacts.assetId,
        slot: tables.artifacts.slot,
        contentType: tables.artifacts.contentType,
        metadata: tables.artifacts.metadata,
        storageKey: tables.artifacts.storageKey,
      })
      .from(tables.artifacts)
      .where(inArray(tables.artifacts.assetId, assetIds))
      .orderBy(tables.artifacts.createdAt),
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
  // a guest reviews (writes the qa document) only when the link allows comments; the workflow is read by everyone
  const docRole: Role = role === 'guest' ? (guest?.allowComments ? 'reviewer' : 'viewer') : role
  const doc = (id: string) => {
    const d = docs.find((x) => x.id === id)!
    return { ...d, name: documentName(d.id), access: documentAccess(docRole, d.kind) }
  }
  const version = (id: string | null) => {
    const a = id ? assets.find((x) => x.id === id) : undefined
    if (!a) return null
    return {
      ...a,
      sourceUrl: sourceUrl(a),
      artifacts: artifacts
        .filter((x) => x.assetId === a.id)
        .map(({ storageKey, assetId: _asset, ...x }) => ({ ...x, url: artifactUrl(x.id, storageKey) })),
    }
  }
  return {
    ...review,
    role,
    guest: guest ? { name: guest.name, allowComments: guest.allowComments, expiresAt: guest.expiresAt } : null,
    qaDocument: doc(review.qaDocumentId),
    workflowDocument: doc(review.workflowDocumentId),
    asset: version(review.assetId),
    compareTo: review.compareToAssetId ? version(review.compareToAssetId) : null,
    framediffJob: jobs[0] ?? null,
  }
}
