import { ErrorCode, tables } from '@cutroom/schema'
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import {
  BRAND_KIT_PURPOSES,
  declaredKind,
  KIND_NOUNS,
  KIND_WORDS,
  MAX_BYTES,
  PURPOSE_KINDS,
  sniffKind,
} from '../brandKits/brandKitFileTypes'
import { BrandKitSettings, fileUses, specOf } from '../brandKits/brandKitSettings'
import type { Context } from '../context'
import type { Db } from '../db'
import { idempotent } from '../idempotency'
import { assertUploadAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf, type Principal } from '../principal'
import { rateLimit } from '../rateLimit'
import { brandKitFileKey } from '../storage/storageKeys'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

type Authed = Pick<Context, 'services'> & { principal: Principal }

const KitName = z.string().trim().min(1, 'Name the brand kit.').max(120)
const MAX_KITS_PER_ORG = 200

const kitColumns = {
  id: tables.brandKits.id,
  orgId: tables.brandKits.orgId,
  name: tables.brandKits.name,
  version: tables.brandKits.version,
  createdAt: tables.brandKits.createdAt,
  updatedAt: tables.brandKits.updatedAt,
}

async function orgRoleOrNotFound(
  ctx: Authed,
  orgId: string,
  action: 'brandKit.read' | 'brandKit.manage',
  what: string,
) {
  try {
    return await requireOrgRole(ctx, orgId, action)
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === ErrorCode.NOT_FOUND)
      throw apiError(ErrorCode.NOT_FOUND, `${what} not found.`)
    throw err
  }
}

/** A live kit the principal may take `action` on; another tenant's kit and a deleted one are NOT_FOUND like a missing one. */
async function loadKit(ctx: Authed, id: string, action: 'brandKit.read' | 'brandKit.manage') {
  const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Brand kit not found.')
  if (!z.string().uuid().safeParse(id).success) throw notFound()
  const [kit] = await ctx.services.db
    .select(kitColumns)
    .from(tables.brandKits)
    .where(and(eq(tables.brandKits.id, id), isNull(tables.brandKits.deletedAt)))
  if (!kit) throw notFound()
  await orgRoleOrNotFound(ctx, kit.orgId, action, 'Brand kit')
  return kit
}

/**
 * Checks that every file the settings name is a finished upload of this organization of a kind its slot takes,
 * and returns the storage key of each. Refuses, naming the slot and the file, before anything is written.
 */
async function filesFor(db: Db, orgId: string, settings: BrandKitSettings): Promise<Map<string, string>> {
  const uses = fileUses(settings)
  const ids = [...new Set(uses.map((u) => u.fileId))]
  const rows = ids.length
    ? await db
        .select({
          id: tables.brandKitFiles.id,
          kind: tables.brandKitFiles.kind,
          filename: tables.brandKitFiles.filename,
          status: tables.brandKitFiles.status,
          storageKey: tables.brandKitFiles.storageKey,
        })
        .from(tables.brandKitFiles)
        .where(and(eq(tables.brandKitFiles.orgId, orgId), inArray(tables.brandKitFiles.id, ids)))
    : []
  const byId = new Map(rows.map((r) => [r.id, r]))
  for (const use of uses) {
    const file = byId.get(use.fileId)
    if (!file)
      throw apiError(
        ErrorCode.BAD_INPUT,
        `The ${use.slot} file was not uploaded to this organization; upload it first.`,
      )
    if (file.status !== 'ready')
      throw apiError(
        ErrorCode.BAD_INPUT,
        file.status === 'uploading'
          ? `The ${use.slot} file "${file.filename}" has not finished uploading; complete the upload first.`
          : `The ${use.slot} file "${file.filename}" was refused when it was uploaded; upload another file.`,
      )
    if (!use.kinds.includes(file.kind))
      throw apiError(
        ErrorCode.UNSUPPORTED_MEDIA,
        `"${file.filename}" is ${KIND_NOUNS[file.kind]}; the ${use.slot} must be ${use.kinds.map((k) => KIND_WORDS[k]).join(' or ')}.`,
      )
  }
  return new Map(rows.map((r) => [r.id, r.storageKey]))
}

function versionActor(p: Principal) {
  const a = actorOf(p)
  return { createdBy: a.userId, createdByApiKey: a.apiKeyId }
}

/** Brand kits of an organization: logo, watermark, fonts, colours, caption style and slates, versioned. */
export const brandKitsRouter = router({
  /**
   * Starts the upload of a brand kit file (bytes go straight to S3 with the presigned PUT), refusing a file whose
   * type does not fit the slot it is for. Owners, admins and editors.
   */
  createUpload: authedProcedure
    .use(rateLimit('brandKits.createUpload', 300, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        orgId: Id,
        purpose: z.enum(BRAND_KIT_PURPOSES),
        filename: z.string().trim().min(1).max(255),
        size: z.number().int().positive().max(MAX_BYTES.video),
        contentType: z.string().trim().max(255),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await orgRoleOrNotFound(ctx, input.orgId, 'brandKit.manage', 'Organization')
      const kind = declaredKind(input.contentType, input.filename)
      const allowed = PURPOSE_KINDS[input.purpose]
      if (!kind || !allowed.includes(kind))
        throw apiError(
          ErrorCode.UNSUPPORTED_MEDIA,
          `"${input.filename}" (${input.contentType || 'no type'}) cannot be a ${input.purpose}; upload ${allowed
            .map((k) => KIND_WORDS[k])
            .join(' or ')}.`,
        )
      if (input.size > MAX_BYTES[kind])
        throw apiError(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `"${input.filename}" is ${Math.ceil(input.size / 1024 ** 2)} MiB; a brand kit ${kind} may be up to ${MAX_BYTES[kind] / 1024 ** 2} MiB.`,
        )
      await assertUploadAllowed(ctx.services.db, input.orgId, input.size)
      const media = mediaOf(ctx.services)
      const id = crypto.randomUUID()
      const key = brandKitFileKey(input.orgId, id, input.filename)
      const contentType = input.contentType || 'application/octet-stream'
      await ctx.services.db.insert(tables.brandKitFiles).values({
        id,
        orgId: input.orgId,
        kind,
        filename: input.filename,
        contentType,
        size: input.size,
        storageKey: key,
        status: 'uploading',
        createdBy: actorOf(ctx.principal).userId,
      })
      return {
        fileId: id,
        kind,
        upload: {
          mode: 'single' as const,
          url: await media.storage.presignPut(key, contentType, input.size),
          headers: { 'content-type': contentType },
        },
      }
    }),

  /** Finishes an upload: checks the stored size and that the bytes are what was declared (an image, a font, a video). */
  completeUpload: authedProcedure.input(z.object({ fileId: Id })).mutation(async ({ ctx, input }) => {
    const db = ctx.services.db
    const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Upload not found.')
    if (!z.string().uuid().safeParse(input.fileId).success) throw notFound()
    const [file] = await db.select().from(tables.brandKitFiles).where(eq(tables.brandKitFiles.id, input.fileId))
    if (!file) throw notFound()
    await orgRoleOrNotFound(ctx, file.orgId, 'brandKit.manage', 'Upload')
    if (file.status === 'ready')
      return { fileId: file.id, kind: file.kind, filename: file.filename, status: file.status }
    if (file.status === 'rejected')
      throw apiError(
        ErrorCode.INVALID_STATE,
        `"${file.filename}" was already refused: ${file.error ?? 'upload another file.'}`,
      )
    const storage = mediaOf(ctx.services).storage
    const stored = await storage.sizeOf(file.storageKey)
    if (stored === null)
      throw apiError(
        ErrorCode.INVALID_STATE,
        `"${file.filename}" has not reached storage yet; finish uploading it, then complete.`,
      )
    const reject = async (message: string, code: ErrorCode = ErrorCode.UNSUPPORTED_MEDIA) => {
      await db.transaction(async (tx) => {
        await tx
          .update(tables.brandKitFiles)
          .set({ status: 'rejected', error: message })
          .where(eq(tables.brandKitFiles.id, file.id))
        await writeAudit(tx, ctx.principal, {
          orgId: file.orgId,
          action: 'brandKit.file.reject',
          targetType: 'brand_kit_file',
          targetId: file.id,
          details: { filename: file.filename, reason: message },
        })
      })
      throw apiError(code, message)
    }
    if (stored !== file.size)
      return reject(
        `"${file.filename}" is ${stored} bytes in storage but ${file.size} were declared; upload it again.`,
        ErrorCode.BAD_INPUT,
      )
    const head = await storage.read(file.storageKey, 'bytes=0-31')
    const chunks: Buffer[] = []
    if (head) for await (const chunk of head.body) chunks.push(Buffer.from(chunk as Uint8Array))
    const sniffed = sniffKind(new Uint8Array(Buffer.concat(chunks)))
    if (sniffed !== file.kind)
      return reject(
        `"${file.filename}" is not ${KIND_WORDS[file.kind]}: its contents are ${sniffed ? KIND_NOUNS[sniffed] : 'of no kind a brand kit takes'}. Upload ${KIND_WORDS[file.kind]}.`,
      )
    await db.transaction(async (tx) => {
      await tx.update(tables.brandKitFiles).set({ status: 'ready' }).where(eq(tables.brandKitFiles.id, file.id))
      await writeAudit(tx, ctx.principal, {
        orgId: file.orgId,
        action: 'brandKit.file.upload',
        targetType: 'brand_kit_file',
        targetId: file.id,
        details: { filename: file.filename, kind: file.kind, size: file.size },
      })
    })
    return { fileId: file.id, kind: file.kind, filename: file.filename, status: 'ready' as const }
  }),

  /** A new kit at version 1. Owners, admins and editors. */
  create: authedProcedure
    .use(rateLimit('brandKits.create', 200, 60 * 60))
    .use(idempotent)
    .input(z.object({ orgId: Id, name: KitName, settings: BrandKitSettings.default(BrandKitSettings.parse({})) }))
    .mutation(async ({ ctx, input }) => {
      await orgRoleOrNotFound(ctx, input.orgId, 'brandKit.manage', 'Organization')
      const db = ctx.services.db
      const keys = await filesFor(db, input.orgId, input.settings)
      const spec = specOf(input.settings, (id) => keys.get(id)!)
      return db.transaction(async (tx) => {
        await tx.execute(sql`select id from organizations where id = ${input.orgId} for update`)
        const [{ count }] = (await tx
          .select({ count: sql<number>`count(*)`.mapWith(Number) })
          .from(tables.brandKits)
          .where(and(eq(tables.brandKits.orgId, input.orgId), isNull(tables.brandKits.deletedAt)))) as [
          { count: number },
        ]
        if (count >= MAX_KITS_PER_ORG)
          throw apiError(
            ErrorCode.QUOTA_EXCEEDED,
            `An organization holds at most ${MAX_KITS_PER_ORG} brand kits; delete one first.`,
          )
        const [kit] = await tx
          .insert(tables.brandKits)
          .values({ orgId: input.orgId, name: input.name, version: 1, createdBy: actorOf(ctx.principal).userId })
          .returning(kitColumns)
        await tx.insert(tables.brandKitVersions).values({
          brandKitId: kit!.id,
          version: 1,
          orgId: input.orgId,
          name: input.name,
          settings: input.settings,
          spec,
          ...versionActor(ctx.principal),
        })
        await writeAudit(tx, ctx.principal, {
          orgId: input.orgId,
          action: 'brandKit.create',
          targetType: 'brand_kit',
          targetId: kit!.id,
          details: { name: input.name, version: 1 },
        })
        return { ...kit!, settings: input.settings }
      })
    }),

  /** The organization's kits, by name. Everyone in the organization. */
  list: authedProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await orgRoleOrNotFound(ctx, input.orgId, 'brandKit.read', 'Organization')
    return ctx.services.db
      .select(kitColumns)
      .from(tables.brandKits)
      .where(and(eq(tables.brandKits.orgId, input.orgId), isNull(tables.brandKits.deletedAt)))
      .orderBy(asc(tables.brandKits.name), asc(tables.brandKits.createdAt))
      .limit(MAX_KITS_PER_ORG)
  }),

  /** A kit at its current version, with the names of the files it uses. */
  get: authedProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const kit = await loadKit(ctx, input.id, 'brandKit.read')
    const db = ctx.services.db
    const [current] = await db
      .select({ settings: tables.brandKitVersions.settings })
      .from(tables.brandKitVersions)
      .where(and(eq(tables.brandKitVersions.brandKitId, kit.id), eq(tables.brandKitVersions.version, kit.version)))
    const settings = BrandKitSettings.parse(current?.settings ?? {})
    const ids = [...new Set(fileUses(settings).map((u) => u.fileId))]
    const files = ids.length
      ? await db
          .select({
            id: tables.brandKitFiles.id,
            filename: tables.brandKitFiles.filename,
            kind: tables.brandKitFiles.kind,
            size: tables.brandKitFiles.size,
          })
          .from(tables.brandKitFiles)
          .where(and(eq(tables.brandKitFiles.orgId, kit.orgId), inArray(tables.brandKitFiles.id, ids)))
      : []
    return { ...kit, settings, files }
  }),

  /**
   * Replaces the kit's settings (and name) with a new version; the previous versions stay as they were. With
   * `baseVersion`, refuses with CONFLICT when someone saved a newer version meanwhile. Owners, admins and editors.
   */
  update: authedProcedure
    .use(rateLimit('brandKits.update', 600, 60 * 60))
    .input(
      z.object({
        id: Id,
        name: KitName.optional(),
        settings: BrandKitSettings,
        baseVersion: z.number().int().min(1).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const kit = await loadKit(ctx, input.id, 'brandKit.manage')
      const db = ctx.services.db
      const keys = await filesFor(db, kit.orgId, input.settings)
      const spec = specOf(input.settings, (id) => keys.get(id)!)
      return db.transaction(async (tx) => {
        const [locked] = await tx
          .select({
            version: tables.brandKits.version,
            name: tables.brandKits.name,
            deletedAt: tables.brandKits.deletedAt,
          })
          .from(tables.brandKits)
          .where(eq(tables.brandKits.id, kit.id))
          .for('update')
        if (!locked || locked.deletedAt) throw apiError(ErrorCode.NOT_FOUND, 'Brand kit not found.')
        if (input.baseVersion !== undefined && input.baseVersion !== locked.version)
          throw apiError(
            ErrorCode.CONFLICT,
            `This kit is at version ${locked.version} now, not ${input.baseVersion}; reload it and make your change again.`,
          )
        const version = locked.version + 1
        const name = input.name ?? locked.name
        await tx.insert(tables.brandKitVersions).values({
          brandKitId: kit.id,
          version,
          orgId: kit.orgId,
          name,
          settings: input.settings,
          spec,
          ...versionActor(ctx.principal),
        })
        const [updated] = await tx
          .update(tables.brandKits)
          .set({ version, name, updatedAt: new Date() })
          .where(eq(tables.brandKits.id, kit.id))
          .returning(kitColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: kit.orgId,
          action: 'brandKit.update',
          targetType: 'brand_kit',
          targetId: kit.id,
          details: { name, version, previousVersion: locked.version },
        })
        return { ...updated!, settings: input.settings }
      })
    }),

  /**
   * Removes the kit from the organization's list; its versions stay, so what an export used can still be
   * told. Owners, admins and editors.
   */
  delete: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const kit = await loadKit(ctx, input.id, 'brandKit.manage')
    await ctx.services.db.transaction(async (tx) => {
      await tx
        .update(tables.brandKits)
        .set({ deletedAt: new Date() })
        .where(and(eq(tables.brandKits.id, kit.id), isNull(tables.brandKits.deletedAt)))
      await writeAudit(tx, ctx.principal, {
        orgId: kit.orgId,
        action: 'brandKit.delete',
        targetType: 'brand_kit',
        targetId: kit.id,
        details: { name: kit.name, version: kit.version },
      })
    })
    return { id: kit.id, deleted: true as const }
  }),

  /** Every version of the kit, newest first, with who saved it. */
  versions: authedProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const kit = await loadKit(ctx, input.id, 'brandKit.read')
    const rows = await ctx.services.db
      .select({
        version: tables.brandKitVersions.version,
        name: tables.brandKitVersions.name,
        settings: tables.brandKitVersions.settings,
        createdAt: tables.brandKitVersions.createdAt,
        createdById: tables.brandKitVersions.createdBy,
        createdByName: tables.users.name,
        createdByApiKey: tables.brandKitVersions.createdByApiKey,
      })
      .from(tables.brandKitVersions)
      .leftJoin(tables.users, eq(tables.users.id, tables.brandKitVersions.createdBy))
      .where(eq(tables.brandKitVersions.brandKitId, kit.id))
      .orderBy(desc(tables.brandKitVersions.version))
      .limit(500)
    return rows.map((r) => ({ ...r, settings: BrandKitSettings.parse(r.settings), current: r.version === kit.version }))
  }),
})
