import { type CollabEnv, type DocumentKind, documentModels, prepareDocument } from '@cutroom/schema'
import { Redis } from '@hocuspocus/extension-redis'
import { type Extension, type Hocuspocus, Server } from '@hocuspocus/server'
import { Redis as RedisClient } from 'ioredis'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import type { CollabContext } from './CollabContext'
import { CollabMetrics } from './CollabMetrics'
import { type ConnectionSlots, MemoryConnectionSlots } from './ConnectionSlots'
import { DocPatcher } from './DocPatcher'
import { AuthExtension } from './extensions/AuthExtension'
import { ConnectionGuardExtension } from './extensions/ConnectionGuardExtension'
import { ConnectionLimitExtension } from './extensions/ConnectionLimitExtension'
import { DocumentValidationExtension } from './extensions/DocumentValidationExtension'
import { FindingEventsExtension } from './extensions/FindingEventsExtension'
import { HealthExtension } from './extensions/HealthExtension'
import { MetricsExtension } from './extensions/MetricsExtension'
import { NatsPatchExtension } from './extensions/NatsPatchExtension'
import { PersistenceExtension } from './extensions/PersistenceExtension'
import { RevocationExtension } from './extensions/RevocationExtension'
import { RedisConnectionSlots } from './RedisConnectionSlots'
import { UpdateLog } from './UpdateLog'

/** The settings the collab server reads; `CollabEnv` satisfies it. NATS and Redis are optional here. */
export type CollabServerConfig = Pick<
  CollabEnv,
  | 'COLLAB_HOST'
  | 'COLLAB_PORT'
  | 'COLLAB_MAX_UPDATE_BYTES'
  | 'COLLAB_MAX_CONNECTIONS_PER_USER'
  | 'COLLAB_SNAPSHOT_EVERY'
> &
  Partial<
    Pick<CollabEnv, 'COLLAB_CONNECTION_SLOT_TTL_SECONDS' | 'COLLAB_REDIS_PREFIX' | 'COLLAB_RELAY_BEFORE_COMMIT'>
  > & {
    NATS_URL?: string
    /** Replicas of stream EVENTS if this instance creates it (1 when unset). */
    NATS_STREAM_REPLICAS?: number
    REDIS_URL?: string
    /** Where the browser app is served; with ALLOWED_ORIGINS, the Origins a cookie-authenticated upgrade may come from. */
    PUBLIC_URL?: string
    ALLOWED_ORIGINS?: string[]
  }

export interface CollabServerOptions {
  config: CollabServerConfig
  /** The process' Postgres pool; the caller owns it and ends it after `destroy()`. */
  sql: postgres.Sql
  log?: Logger
  /** Redis key prefix (default `COLLAB_REDIS_PREFIX`, else `cutroom-collab`); tests give each run its own. */
  redisPrefix?: string
  /** Whether a loaded document gets its model's genesis and migrations (default true). */
  prepareDocuments?: boolean
}

export interface CollabServer {
  /** The Hocuspocus HTTP + WebSocket server. */
  server: Server<CollabContext>
  hocuspocus: Hocuspocus<CollabContext>
  /** Applies server-side patches (also reachable over NATS when NATS_URL is set). */
  patcher: DocPatcher
  metrics: CollabMetrics
  updateLog: UpdateLog
  /** Emits `finding.created` when a finding appears in a review's qa document. */
  findingEvents: FindingEventsExtension
  /** Starts listening on COLLAB_HOST:COLLAB_PORT (0 picks a free port); resolves with the bound port. */
  listen(): Promise<{ port: number; url: string }>
  /** Closes every connection, flushes the log, disconnects NATS and Redis. Does not end `sql`. */
  destroy(): Promise<void>
}

/** The collab server: Hocuspocus assembled from small extensions. */
export function createCollabServer({
  config,
  sql,
  log,
  redisPrefix,
  prepareDocuments = true,
}: CollabServerOptions): CollabServer {
  const metrics = new CollabMetrics()
  const updateLog = new UpdateLog({ sql, log, metrics, snapshotEvery: config.COLLAB_SNAPSHOT_EVERY })
  const persistence = new PersistenceExtension({
    updateLog,
    log,
    maxUpdateBytes: config.COLLAB_MAX_UPDATE_BYTES,
    relayBeforeCommit: config.COLLAB_RELAY_BEFORE_COMMIT ?? true,
    prepare: prepareDocuments
      ? async (document, documentId, context) => {
          const kind =
            context.kind ??
            (await sql<{ kind: DocumentKind }[]>`select kind from documents where id = ${documentId}`)[0]?.kind
          // The model's genesis and pending migrations, persisted like any server change.
          if (kind) prepareDocument(document, documentModels[kind])
        }
      : undefined,
  })
  const findingEvents = new FindingEventsExtension({ sql, log })
  const checks: Record<string, () => Promise<unknown>> = { postgres: () => sql`select 1` }
  const prefix = redisPrefix ?? config.COLLAB_REDIS_PREFIX ?? 'cutroom-collab'
  const { host, port, options: redisOptions } = config.REDIS_URL ? redisConnection(config.REDIS_URL) : {}
  // With Redis, one person's connection limit is counted across every instance.
  const slotsRedis = config.REDIS_URL ? new RedisClient({ host, port, ...redisOptions }) : null
  const slots: ConnectionSlots = slotsRedis
    ? new RedisConnectionSlots({
        redis: slotsRedis,
        prefix,
        ttlMs: (config.COLLAB_CONNECTION_SLOT_TTL_SECONDS ?? 30) * 1000,
        log,
      })
    : new MemoryConnectionSlots()
  const extensions: Extension[] = [
    new HealthExtension({ checks }),
    new ConnectionGuardExtension({
      // The frame around an update adds the document name and a few bytes of framing.
      maxMessageBytes: config.COLLAB_MAX_UPDATE_BYTES + 1024,
      onReject: (code) => metrics.recordRefusal(code),
    }),
    new AuthExtension({
      sql,
      log,
      onReject: (code) => metrics.recordRefusal(code),
      allowedOrigins: [
        ...(config.PUBLIC_URL ? [new URL(config.PUBLIC_URL).origin] : []),
        ...(config.ALLOWED_ORIGINS ?? []),
      ],
    }),
    new ConnectionLimitExtension({
      maxConnectionsPerPrincipal: config.COLLAB_MAX_CONNECTIONS_PER_USER,
      slots,
      log,
      onReject: (code) => metrics.recordRefusal(code),
    }),
    // Before persistence: a refused change is never appended.
    new DocumentValidationExtension({
      sql,
      log,
      maxUpdateBytes: config.COLLAB_MAX_UPDATE_BYTES,
      onReject: (code) => metrics.recordRefusal(code),
    }),
    persistence,
    findingEvents,
    new MetricsExtension({ metrics }),
  ]
  const patcher = new DocPatcher({ sql, whenPersisted: (name) => persistence.whenPersisted(name), log, metrics })
  extensions.push(patcher)
  if (config.NATS_URL) {
    const nats = new NatsPatchExtension({
      natsUrl: config.NATS_URL,
      patcher,
      log,
      streamReplicas: config.NATS_STREAM_REPLICAS ?? 1,
    })
    extensions.push(nats)
    checks.nats = () => nats.check()
    // Membership, session and API key changes close or re-authorize open connections live.
    extensions.push(
      new RevocationExtension({
        natsUrl: config.NATS_URL,
        sql,
        log,
        onRevoke: (code) => metrics.recordRefusal(code),
      }),
    )
  }
  if (config.REDIS_URL) {
    const redis = new Redis({ ...redisConnection(config.REDIS_URL), prefix })
    // With updates relayed before their commit, another instance gets a document's state only once it is durable.
    redis.pub.publish = persistence.gatePublish(redis.pub.publish.bind(redis.pub)) as typeof redis.pub.publish
    extensions.push(redis)
    checks.redis = () => redis.pub.ping()
  }
  const server = new Server<CollabContext>({
    port: config.COLLAB_PORT,
    address: config.COLLAB_HOST,
    quiet: true,
    stopOnSignals: false,
    extensions,
  })

  return {
    server,
    hocuspocus: server.hocuspocus,
    patcher,
    metrics,
    updateLog,
    findingEvents,
    async listen() {
      await server.listen()
      return { port: server.address.port, url: `ws://${config.COLLAB_HOST}:${server.address.port}` }
    },
    async destroy() {
      await server.destroy()
      await slotsRedis?.quit().catch(() => slotsRedis.disconnect())
    },
  }
}

/** ioredis connection settings from a redis:// or rediss:// URL. */
function redisConnection(url: string) {
  const u = new URL(url)
  const db = Number(u.pathname.slice(1) || 0)
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    options: {
      username: u.username || undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db,
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  }
}
