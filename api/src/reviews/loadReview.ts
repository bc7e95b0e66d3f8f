import { type Action, ErrorCode, isUuid, type Role, tables } from '@cutroom/schema'
import { TRPCError } from '@trpc/server'
import { eq } from 'drizzle-orm'
import { requireOrgRole } from '../access'
import { apiError, stableCodeOf } from '../apiError'
import type { Context } from '../context'
import type { Principal } from '../principal'

type Authed = Pick<Context, 'services'> & { principal: Principal }

export const reviewColumns = {
  id: tables.reviews.id,
  orgId: tables.reviews.orgId,
  projectId: tables.reviews.projectId,
  assetId: tables.reviews.assetId,
  compareToAssetId: tables.reviews.compareToAssetId,
  title: tables.reviews.title,
  qaDocumentId: tables.reviews.qaDocumentId,
  workflowDocumentId: tables.reviews.workflowDocumentId,
  framediffJobId: tables.reviews.framediffJobId,
  createdBy: tables.reviews.createdBy,
  createdAt: tables.reviews.createdAt,
}

export type ReviewRow = typeof tables.reviews.$inferSelect

/** A review the principal may take `action` on; another tenant's review answers like a missing one. */
export async function loadReview(
  ctx: Authed,
  reviewId: string,
  action: Action,
): Promise<{ review: ReviewRow; role: Role }> {
  const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Review not found.')
  if (!isUuid(reviewId)) throw notFound()
  const [review] = await ctx.services.db
    .select(reviewColumns)
    .from(tables.reviews)
    .where(eq(tables.reviews.id, reviewId))
  if (!review) throw notFound()
  try {
    return { review, role: await requireOrgRole(ctx, review.orgId, action) }
  } catch (err) {
    if (err instanceof TRPCError && stableCodeOf(err) === ErrorCode.NOT_FOUND) throw notFound()
    throw err
  }
}
