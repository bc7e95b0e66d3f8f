import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { can, isUuid, tables } from '@cutroom/schema'
import { and, eq, or } from 'drizzle-orm'
import { orgRoleOf } from '../access'
import { type Context, createContext } from '../context'
import type { ApiServices } from '../services'

const TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  json: 'application/json',
  wav: 'audio/wav',
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(message)
}

/**
 * GET /media/<artifactId>/<file within the artifact>: serves artifact files (HLS playlists and segments,
 * sprite sheets, peaks) to members of the artifact's organization, streamed from S3 with Range support.
 * Relative URIs inside an HLS playlist resolve to this same route, so the session cookie covers them all.
 * GET /media/source/<assetId> serves the uploaded file itself (see serveSource).
 */
export async function serveMedia(services: ApiServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'Only GET and HEAD.')
  if (!services.media) return fail(res, 503, 'The media pipeline is not configured on this server.')
  const pathname = new URL(req.url ?? '/', 'http://x').pathname
  const [, , artifactId = '', ...rest] = pathname.split('/')
  if (artifactId === 'source') return serveSource(services, req, res, rest)
  let file: string
  try {
    file = rest.map(decodeURIComponent).join('/')
  } catch {
    return fail(res, 400, 'Malformed path.')
  }
  // checked after decoding: an encoded `..%2F` must not climb out of the artifact's folder
  const segments = file.split('/')
  if (
    !isUuid(artifactId) ||
    segments.some((p) => p === '..' || p === '.' || p === '' || p.includes('\\')) ||
    file.length > 512
  ) {
    return fail(res, 404, 'Not found.')
  }
  const ctx = await createContext(services, { headers: req.headers, ip: req.socket.remoteAddress ?? null })
  if (!ctx.principal && !ctx.guest) return fail(res, 401, UNAUTHENTICATED)
  const [artifact] = await services.db
    .select({
      orgId: tables.artifacts.orgId,
      storageKey: tables.artifacts.storageKey,
      assetId: tables.artifacts.assetId,
    })
    .from(tables.artifacts)
    .where(eq(tables.artifacts.id, artifactId))
  // another tenant's artifact looks exactly like a missing one
  if (!artifact || !(await mayRead(services, ctx, artifact.orgId, artifact.assetId)))
    return fail(res, 404, 'Not found.')
  const folder = artifact.storageKey.slice(0, artifact.storageKey.lastIndexOf('/'))
  return stream(services, req, res, `${folder}/${file}`, file.split('.').pop()?.toLowerCase() ?? '')
}

/**
 * GET /media/source/<assetId>: the uploaded file itself, for playing an asset that has no HLS proxy (yet).
 * Same authentication and tenancy as artifacts; an upload still in progress is not served.
 */
async function serveSource(
  services: ApiServices,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string[],
): Promise<void> {
  const assetId = rest.length === 1 ? rest[0]! : ''
  if (!isUuid(assetId)) return fail(res, 404, 'Not found.')
  const ctx = await createContext(services, { headers: req.headers, ip: req.socket.remoteAddress ?? null })
  if (!ctx.principal && !ctx.guest) return fail(res, 401, UNAUTHENTICATED)
  const [asset] = await services.db
    .select({
      orgId: tables.assets.orgId,
      storageKey: tables.assets.storageKey,
      status: tables.assets.status,
      contentType: tables.assets.contentType,
    })
    .from(tables.assets)
    .where(eq(tables.assets.id, assetId))
  if (!asset || asset.status === 'uploading' || !(await mayRead(services, ctx, asset.orgId, assetId)))
    return fail(res, 404, 'Not found.')
  return stream(
    services,
    req,
    res,
    asset.storageKey,
    asset.storageKey.split('.').pop()?.toLowerCase() ?? '',
    asset.contentType,
  )
}

const UNAUTHENTICATED = 'Sign in, open a review link, or send an API key as `Authorization: Bearer crk_...`.'

/**
 * Whether the caller may read an asset's media: a member of its organization (any role), or a guest of a review
 * link whose review shows that asset (the reviewed version or the one it is compared with).
 */
async function mayRead(services: ApiServices, ctx: Context, orgId: string, assetId: string | null): Promise<boolean> {
  if (ctx.principal) {
    const role = await orgRoleOf({ services, principal: ctx.principal }, orgId)
    if (role && can(role, 'asset.read')) return true
  }
  const guest = ctx.guest
  if (!guest || !assetId || guest.orgId !== orgId) return false
  const [review] = await services.db
    .select({ id: tables.reviews.id })
    .from(tables.reviews)
    .where(
      and(
        eq(tables.reviews.id, guest.reviewId),
        or(eq(tables.reviews.assetId, assetId), eq(tables.reviews.compareToAssetId, assetId)),
      ),
    )
  return review !== undefined
}

/** Streams one S3 object with Range support; `type` overrides the extension's content type. */
async function stream(
  services: ApiServices,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  ext: string,
  type?: string,
): Promise<void> {
  const media = services.media
  if (!media) return fail(res, 503, 'The media pipeline is not configured on this server.')
  const range =
    typeof req.headers.range === 'string' && /^bytes=\d*-\d*$/.test(req.headers.range) ? req.headers.range : undefined
  const abort = new AbortController()
  res.once('close', () => abort.abort())
  let object: Awaited<ReturnType<typeof media.storage.read>>
  try {
    object = await media.storage.read(key, range, abort.signal)
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) {
      return fail(res, 416, 'Range not satisfiable.')
    }
    services.log.error({ err, key }, 'reading media from storage failed')
    return fail(res, 502, 'Storage did not answer; try again.')
  }
  if (!object) return fail(res, 404, 'Not found.')
  res.writeHead(object.contentRange ? 206 : 200, {
    'content-type': type ?? TYPES[ext] ?? object.contentType ?? 'application/octet-stream',
    'content-length': String(object.contentLength),
    ...(object.contentRange ? { 'content-range': object.contentRange } : {}),
    'accept-ranges': 'bytes',
    ...(object.etag ? { etag: object.etag } : {}),
    // artifact ids and source keys are never reused for different bytes, but access can be revoked: private and short
    'cache-control': 'private, max-age=300',
    'x-content-type-options': 'nosniff',
  })
  if (req.method === 'HEAD') {
    object.body.destroy()
    res.end()
    return
  }
  await pipeline(object.body, res).catch(() => {})
}
