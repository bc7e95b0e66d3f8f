import { createServer, type Server } from 'node:http'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { sql } from 'drizzle-orm'
import { clientAddress } from './clientAddress'
import { createContext } from './context'
import { runHealthChecks } from './health'
import { serveMedia } from './media/serveMedia'
import { appRouter } from './router'
import type { ApiServices } from './services'
import { serveStatic } from './staticFiles'

/** The api's HTTP server: tRPC at /trpc, /healthz, and the built client at `/`. */
export function createApiServer(services: ApiServices): Server {
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
        req,
        res,
      }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') services.log.error({ err: error, path }, 'procedure failed')
    },
  })
  const client = services.config.CLIENT_DIST ? serveStatic(services.config.CLIENT_DIST) : null
  return createServer(async (req, res) => {
    const url = req.url ?? '/'
    if (url.startsWith('/trpc/')) return trpc(req, res)
    if (url.startsWith('/media/')) return serveMedia(services, req, res)
    if (url === '/healthz') {
      const health = await runHealthChecks({
        postgres: () => services.db.execute(sql`select 1`),
        ...(services.media ? { nats: () => services.media!.nc.flush() } : {}),
      })
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health))
      return
    }
    if (client?.(req, res)) return
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
  })
}
