import { ErrorCode, tables } from '@cutroom/schema'
import { and, desc, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { loadProjectForPrincipal, requireOrgRole } from '../access'
import { apiError } from '../apiError'
import type { Context } from '../context'
import { idempotent } from '../idempotency'
import { artifactUrl } from '../media/artifactUrl'
import { announceQuotaWarnings } from '../billing/quotaWarnings'
import { assertConcurrencyAllowed, assertProcessingAllowed, assertUploadAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { sourceUrl } from '../media/sourceUrl'
import type { Principal } from '../principal'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { sourceKey } from '../storage/storageKeys'
import { authedProcedure, router } from '../trpc'

const MAX_PARTS = 10_000
/** Types ffmpeg can take that browsers label oddly (e.g. .mkv and .mxf are often application/octet-stream). */
const EXTRA_TYPES = new Set(['application/mxf', 'application/x-matroska', 'application/ogg'])

const assetColumns = {
  id: tables.assets.id,
  orgId: tables.assets.orgId,
  projectId: tables.assets.projectId,
  filename: tables.assets.filename,
  contentType: tables.assets.contentType,
  size: tables.assets.size,
  status: tables.assets.status,
  metadata: tables.assets.metadata,
  error: tables.assets.error,
  createdAt: tables.assets.createdAt,
  stackId: tables.assets.stackId,
  version: tables.assets.version,
}

const id = z.string().uuid()

type Authed = Pick<Context, 'services'> & { principal: Principal }

function isMediaType(contentType: string): boolean {
  return /^(video|audio)\/[\w.+-]+$/i.test(contentType) || EXTRA_TYPES.has(contentType.toLowerCase())
}

function partSizeFor(size: number, preferred: number): number {
  return Math.max(preferred, Math.ceil(size / MAX_PARTS))
}

/** An asset the principal may take `action` on; another tenant's asset is NOT_FOUND like a missing one. */
async function loadAsset(ctx: Authed, assetId: string, action: 'asset.read' | 'asset.upload') {
  const [asset] = await ctx.services.db
    .select({ ...assetColumns, storageKey: tables.assets.storageKey, uploadId: tables.assets.uploadId })
    .from(tables.assets)
    .where(eq(tables.assets.id, assetId))
  if (!asset) throw apiError(ErrorCode.NOT_FOUND, 'Asset not found.')
  try {
    await requireOrgRole(ctx, asset.orgId, action)
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === ErrorCode.NOT_FOUND)
      throw apiError(ErrorCode.NOT_FOUND, 'Asset not found.')
    throw err
  }
  return asset
}

async function presignParts(ctx: Authed, key: string, uploadId: string, size: number, partSize: number) {
  const storage = mediaOf(ctx.services).storage
  const count = Math.max(1, Math.ceil(size / partSize))
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      partNumber: i + 1,
      url: await storage.presignPart(key, uploadId, i + 1),
    })),
  )
}

export const assetsRouter = router({
  /**
   * Starts an upload: checks type, size and quota, creates the asset and returns a presigned PUT (small files)
   * or a presigned multipart upload with one URL per part (large files). Bytes go straight to S3.
   */
  createUpload: authedProcedure
    .use(rateLimit('assets.createUpload', 500, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        projectId: id,
        filename: z.string().trim().min(1).max(255),
        size: z
          .number()
          .int()
          .positive()
          .max(5 * 1024 ** 4),
        contentType: z.string().trim().min(1).max(255),
        /** Makes the upload the next version of this asset's stack (same project). */
        versionOf: id.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'asset.upload')
      const versionOf = input.versionOf ? await loadAsset(ctx, input.versionOf, 'asset.upload') : null
      if (versionOf && versionOf.projectId !== project.id) {
        throw apiError(ErrorCode.BAD_INPUT, 'A new version goes into the same project as the asset it follows.')
      }
      if (!isMediaType(input.contentType)) {
        throw apiError(
          ErrorCode.UNSUPPORTED_MEDIA,
          `Files of type ${input.contentType} cannot be edited here; upload a video or audio file.`,
        )
      }
      await assertUploadAllowed(ctx.services.db, project.orgId, input.size)
      const media = mediaOf(ctx.services)
      const assetId: string = crypto.randomUUID()
      const key = sourceKey(project.orgId, project.id, assetId, input.filename)
      const multipart = input.size > media.uploads.multipartThresholdBytes
      const uploadId = multipart ? await media.storage.createMultipart(key, input.contentType) : null
      const [asset] = await ctx.services.db.transaction(async (tx) => {
        // checked again under the organization's lock: two uploads racing for the last free space cannot both pass
        await tx.execute(sql`select id from organizations where id = ${project.orgId} for update`)
        await assertUploadAllowed(tx, project.orgId, input.size)
        let stack = { stackId: assetId, version: 1 }
        if (versionOf) {
          // One new version of a stack at a time: the next number is read and taken under the same lock.
          await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${versionOf.stackId}, 0))`)
          const [last] = await tx
            .select({ version: sql<number>`max(${tables.assets.version})`.mapWith(Number) })
            .from(tables.assets)
            .where(eq(tables.assets.stackId, versionOf.stackId))
          stack = { stackId: versionOf.stackId, version: (last?.version ?? 0) + 1 }
        }
        return tx
          .insert(tables.assets)
          .values({
            id: assetId,
            ...stack,
            orgId: project.orgId,
            projectId: project.id,
            filename: input.filename,
            contentType: input.contentType,
            size: input.size,
            status: 'uploading',
            storageKey: key,
            uploadId,
            createdBy: actorOf(ctx.principal).userId,
          })
          .returning(assetColumns)
      })
      await announceQuotaWarnings(ctx.services, project.orgId)
      if (!uploadId) {
        return {
          asset: asset!,
          upload: {
            mode: 'single' as const,
            url: await media.storage.presignPut(key, input.contentType, input.size),
            headers: { 'content-type': input.contentType },
          },
        }
      }
      const partSize = partSizeFor(input.size, media.uploads.partSizeBytes)
      return {
        asset: asset!,
        upload: {
          mode: 'multipart' as const,
          partSize,
          parts: await presignParts(ctx, key, uploadId, input.size, partSize),
        },
      }
    }),

  /**
   * Fresh part URLs for an unfinished multipart upload (after a reload, or when URLs expired), with the parts
   * S3 already has (null when the store cannot list them; the client then trusts its own record).
   */
  resumeUpload: authedProcedure.input(z.object({ assetId: id })).mutation(async ({ ctx, input }) => {
    const asset = await loadAsset(ctx, input.assetId, 'asset.upload')
    if (asset.status !== 'uploading') throw apiError(ErrorCode.INVALID_STATE, `This upload is already ${asset.status}.`)
    const media = mediaOf(ctx.services)
    if (!asset.uploadId) {
      return {
        mode: 'single' as const,
        url: await media.storage.presignPut(asset.storageKey, asset.contentType, asset.size),
        headers: { 'content-type': asset.contentType },
      }
    }
    const partSize = partSizeFor(asset.size, media.uploads.partSizeBytes)
    return {
      mode: 'multipart' as const,
      partSize,
      parts: await presignParts(ctx, asset.storageKey, asset.uploadId, asset.size, partSize),
      uploadedParts: await media.storage.listParts(asset.storageKey, asset.uploadId),
    }
  }),

  /** Finishes the upload (assembling multipart parts), checks the stored size, and dispatches the probe job. */
  completeUpload: authedProcedure
    .input(
      z.object({
        assetId: id,
        parts: z
          .array(z.object({ partNumber: z.number().int().min(1).max(MAX_PARTS), etag: z.string().min(1).max(200) }))
          .max(MAX_PARTS)
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const asset = await loadAsset(ctx, input.assetId, 'asset.upload')
      const media = mediaOf(ctx.services)
      const db = ctx.services.db
      if (asset.status !== 'uploading') {
        // a repeated completion (double click, retried request) answers like the first one
        const [probe] = await db
          .select({ id: tables.jobs.id })
          .from(tables.jobs)
          .where(and(eq(tables.jobs.assetId, asset.id), eq(tables.jobs.kind, 'probe')))
        return { assetId: asset.id, status: asset.status, probeJobId: probe?.id ?? null }
      }
      await assertProcessingAllowed(db, asset.orgId)
      if (asset.uploadId) {
        if (!input.parts?.length)
          throw apiError(ErrorCode.BAD_INPUT, 'A multipart upload needs its parts (partNumber and ETag of each).')
        const parts = [...input.parts].sort((a, b) => a.partNumber - b.partNumber)
        const expected = Math.max(1, Math.ceil(asset.size / partSizeFor(asset.size, media.uploads.partSizeBytes)))
        if (parts.length !== expected || parts.some((p, i) => p.partNumber !== i + 1)) {
          throw apiError(
            ErrorCode.BAD_INPUT,
            `Expected parts 1..${expected}, each once; got ${parts.map((p) => p.partNumber).join(', ')}.`,
          )
        }
        try {
          await media.storage.completeMultipart(asset.storageKey, asset.uploadId, parts)
        } catch (err) {
          throw apiError(
            ErrorCode.BAD_INPUT,
            `S3 refused to assemble the parts (${(err as Error).message}); upload the missing parts and complete again.`,
          )
        }
      }
      const stored = await media.storage.sizeOf(asset.storageKey)
      if (stored === null)
        throw apiError(
          ErrorCode.INVALID_STATE,
          'The file has not reached storage yet; finish uploading it, then complete.',
        )
      if (stored !== asset.size) {
        await db
          .update(tables.assets)
          .set({ status: 'rejected', error: `The stored file is ${stored} bytes, not the ${asset.size} declared.` })
          .where(eq(tables.assets.id, asset.id))
        throw apiError(
          ErrorCode.BAD_INPUT,
          `The stored file is ${stored} bytes but ${asset.size} were declared; upload it again.`,
        )
      }
      const payloads = await db.transaction(async (tx) => {
        const claimed = await tx
          .update(tables.assets)
          .set({ status: 'uploaded', uploadId: null })
          .where(and(eq(tables.assets.id, asset.id), eq(tables.assets.status, 'uploading')))
          .returning({ id: tables.assets.id })
        if (claimed.length === 0) return []
        await assertConcurrencyAllowed(tx, asset.orgId, 1)
        return media.dispatcher.insert(tx, [
          {
            kind: 'probe',
            orgId: asset.orgId,
            projectId: asset.projectId,
            assetId: asset.id,
            input: { assetId: asset.id, sourceKey: asset.storageKey },
            createdBy: actorOf(ctx.principal).userId,
          },
        ])
      })
      await media.dispatcher.publish(payloads)
      return { assetId: asset.id, status: 'uploaded' as const, probeJobId: payloads[0]?.jobId ?? null }
    }),

  list: authedProcedure.input(z.object({ projectId: id })).query(async ({ ctx, input }) => {
    const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'asset.read')
    const rows = await ctx.services.db
      .select({
        ...assetColumns,
        latestVersion: sql<number>`max(${tables.assets.version}) over (partition by ${tables.assets.stackId})`.mapWith(
          Number,
        ),
      })
      .from(tables.assets)
      .where(eq(tables.assets.projectId, project.id))
      .orderBy(desc(tables.assets.createdAt))
      .limit(500)
    return rows.map(({ latestVersion, ...asset }) => ({
      ...asset,
      isLatestVersion: asset.version === latestVersion,
      sourceUrl: sourceUrl(asset),
    }))
  }),

  /** Every version in the asset's stack, newest first. */
  versions: authedProcedure.input(z.object({ assetId: id })).query(async ({ ctx, input }) => {
    const asset = await loadAsset(ctx, input.assetId, 'asset.read')
    const rows = await ctx.services.db
      .select(assetColumns)
      .from(tables.assets)
      .where(and(eq(tables.assets.stackId, asset.stackId), eq(tables.assets.projectId, asset.projectId)))
      .orderBy(desc(tables.assets.version))
      .limit(500)
    return rows.map((a) => ({ ...a, sourceUrl: sourceUrl(a) }))
  }),

  /** One asset with its artifacts (and, while uploading, the upload's state so a client can resume). */
  get: authedProcedure.input(z.object({ id })).query(async ({ ctx, input }) => {
    const asset = await loadAsset(ctx, input.id, 'asset.read')
    const artifacts = await ctx.services.db
      .select({
        id: tables.artifacts.id,
        jobId: tables.artifacts.jobId,
        slot: tables.artifacts.slot,
        storageKey: tables.artifacts.storageKey,
        contentType: tables.artifacts.contentType,
        size: tables.artifacts.size,
        metadata: tables.artifacts.metadata,
        createdAt: tables.artifacts.createdAt,
      })
      .from(tables.artifacts)
      .where(eq(tables.artifacts.assetId, asset.id))
      .orderBy(tables.artifacts.createdAt)
    let upload: null | {
      mode: 'single' | 'multipart'
      partSize: number | null
      uploadedParts: { partNumber: number; etag: string; size: number }[] | null
    } = null
    if (asset.status === 'uploading') {
      const media = mediaOf(ctx.services)
      upload = asset.uploadId
        ? {
            mode: 'multipart',
            partSize: partSizeFor(asset.size, media.uploads.partSizeBytes),
            uploadedParts: await media.storage.listParts(asset.storageKey, asset.uploadId),
          }
        : { mode: 'single', partSize: null, uploadedParts: null }
    }
    const { storageKey: _key, uploadId: _upload, ...visible } = asset
    return {
      ...visible,
      sourceUrl: sourceUrl(asset),
      upload,
      artifacts: artifacts.map(({ storageKey, ...a }) => ({
        ...a,
        key: storageKey,
        url: artifactUrl(a.id, storageKey),
      })),
    }
  }),
})
