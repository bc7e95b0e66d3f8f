import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { sql } from 'drizzle-orm'
import { handleStripeWebhook } from './billing/stripeBilling'
import { ApiMetrics } from './ApiMetrics'
import { clientAddress } from './clientAddress'
import { createContext } from './context'
import { requestOrigin } from './crossSiteSource'
import { runHealthChecks } from './health'
import { serveMedia } from './media/serveMedia'
import { appRouter } from './router'
import type { ApiServices } from './services'
import { requestIsHttps } from './requestIsHttps'
import { pageContentSecurityPolicy, setApiHeaders, setMediaHeaders, setPageHeaders } from './securityHeaders'
import { serveStatic } from './staticFiles'

/** The api's HTTP server: tRPC at /trpc, /healthz, /metrics (Prometheus text), and the built client at `/`. */
export function createApiServer(services: ApiServices): Server {
  services.metrics ??= new ApiMetrics()
  const metrics = services.metrics
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    // Bounds on what one request may carry; larger uploads go straight to S3, never through the api.
    maxBodySize: 1024 * 1024,
    maxBatchSize: 50,
    createContext: ({ req, res }) =>
      createContext(services, {
        headers: req.headers,
        ip: clientAddress(req, services.config.API_TRUST_PROXY),
        https: requestIsHttps(req, services.config.API_TRUST_PROXY),
        req,
        res,
      }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') services.log.error({ err: error, path }, 'procedure failed')
    },
  })
  const client = services.config.CLIENT_DIST ? serveStatic(services.config.CLIENT_DIST) : null
  // computed once, on the first page served; signing the probe URL is local, but asynchronous
  let storageOrigin: Promise<string | null> | null = null
  const pagePolicy = async (req: IncomingMessage, https: boolean): Promise<string> => {
    storageOrigin ??= services.media
      ? services.media.storage.browserOrigin().catch((err) => {
          services.log.error({ err }, 'could not derive the storage origin for the Content-Security-Policy')
          return null
        })
      : Promise.resolve(null)
    return pageContentSecurityPolicy({ collab: collabOrigin(services, req, https), storage: await storageOrigin })
  }
  return createServer(async (req, res) => {
    const url = req.url ?? '/'
    const https = requestIsHttps(req, services.config.API_TRUST_PROXY)
    if (url.startsWith('/trpc/')) {
      setApiHeaders(res, https)
      return trpc(req, res)
    }
    if (url === '/webhooks/stripe' && req.method === 'POST') {
      setApiHeaders(res, https)
      const body = await readRawBody(req, 1024 * 1024)
      if (!body) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('The body is over 1 MiB.')
        return
      }
      try {
        const out = await handleStripeWebhook(services, body, req.headers['stripe-signature'] as string | undefined)
        res
          .writeHead(out.status, { 'content-type': out.status === 200 ? 'application/json' : 'text/plain' })
          .end(out.body)
      } catch (err) {
        services.log.error({ err }, 'could not handle a Stripe event; Stripe will retry it')
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Try again later.')
      }
      return
    }
    if (url.startsWith('/media/')) {
      setMediaHeaders(res, https)
      return serveMedia(services, req, res)
    }
    if (url === '/metrics') {
      setApiHeaders(res, https)
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics())
      return
    }
    if (url === '/healthz') {
      setApiHeaders(res, https)
      const health = await runHealthChecks({
        postgres: () => services.db.execute(sql`select 1`),
        ...(services.media ? { nats: () => services.media!.nc.flush() } : {}),
      })
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health))
      return
    }
    if (client && (req.method === 'GET' || req.method === 'HEAD')) {
      setPageHeaders(res, https, await pagePolicy(req, https))
      if (client(req, res)) return
    }
    setApiHeaders(res, https)
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
  })
}

/**
 * The collab WebSocket origin the page connects to: COLLAB_PUBLIC_URL's, or what the client falls back to without
 * it, `ws://<page host name>:4001`.
 */
function collabOrigin(services: ApiServices, req: IncomingMessage, https: boolean): string | null {
  const configured = services.config.COLLAB_PUBLIC_URL
  if (configured) return new URL(configured).origin
  const own = requestOrigin(req.headers, https)
  return own ? `ws://${new URL(own).hostname}:4001` : null
}

/** The request body as received (a signature covers these exact bytes), or null past `limit`. */
async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
