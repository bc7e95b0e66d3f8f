import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase, freePort, startTestS3, type TestDatabase, type TestS3 } from '@cutroom/infra'
import { Streams } from '@cutroom/schema'
import { LoopbackBalancer } from './LoopbackBalancer'
import { NatsCluster } from './NatsCluster'
import { ServiceProcess } from './ServiceProcess'

/** Where the shared Redis runs (collab instances find each other through it). */
export const CLUSTER_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface ClusterStackOptions {
  /** nats-server processes (1 gives single-node JetStream with R1 streams). */
  natsNodes?: number
  api?: number
  collab?: number
  workers?: number
  /** Extra environment for every service. */
  env?: Record<string, string>
  /** Keep the folder with logs and NATS stores after stop (printed by the caller). */
  keepDir?: boolean
}

/**
 * Cutroom's many-machine shape on one machine: a NATS JetStream cluster, several api, collab and worker processes
 * (their real entry points), one Postgres database of its own, one s3rver bucket and Redis. The api and collab
 * replicas sit behind loopback balancers, as behind a Service.
 */
export class ClusterStack {
  readonly api: ServiceProcess[] = []
  readonly collab: ServiceProcess[] = []
  readonly workers: ServiceProcess[] = []
  apiBalancer!: LoopbackBalancer
  collabBalancer!: LoopbackBalancer
  nats!: NatsCluster
  db!: TestDatabase
  s3!: TestS3
  readonly redisPrefix = `cutroom-cluster-${randomBytes(4).toString('hex')}`

  private constructor(
    readonly dir: string,
    private readonly options: ClusterStackOptions,
  ) {}

  get apiUrl(): string {
    return this.apiBalancer.httpUrl
  }

  get collabUrl(): string {
    return this.collabBalancer.wsUrl
  }

  get logDir(): string {
    return path.join(this.dir, 'logs')
  }

  static async start(options: ClusterStackOptions = {}): Promise<ClusterStack> {
    const stack = new ClusterStack(mkdtempSync(path.join(tmpdir(), 'cutroom-cluster-')), options)
    try {
      await stack.boot()
    } catch (err) {
      await stack.stop()
      throw err
    }
    return stack
  }

  private async boot(): Promise<void> {
    const o = this.options
    const natsNodes = o.natsNodes ?? 3
    mkdirSync(this.logDir, { recursive: true })
    // each is kept as soon as it exists, so a failed start still removes what was made
    const [db, s3, nats] = await Promise.all([
      createTestDatabase().then((d) => (this.db = d)),
      startTestS3().then((s) => (this.s3 = s)),
      NatsCluster.start(path.join(this.dir, 'nats'), natsNodes).then((n) => (this.nats = n)),
    ])
    const apiPorts = await ports(o.api ?? 2)
    const collabPorts = await ports(o.collab ?? 2)
    const workerPorts = await ports(o.workers ?? 2)
    this.apiBalancer = new LoopbackBalancer(apiPorts)
    this.collabBalancer = new LoopbackBalancer(collabPorts)
    await Promise.all([this.apiBalancer.listen(), this.collabBalancer.listen()])

    const common: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? 'warn',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '5',
      NATS_URL: nats.url,
      NATS_STREAM_REPLICAS: String(natsNodes),
      ...s3.env,
      ...o.env,
    }
    delete common.OTEL_EXPORTER_OTLP_ENDPOINT
    apiPorts.forEach((port, i) => {
      this.api.push(
        new ServiceProcess(
          {
            name: `api-${i}`,
            entry: 'api/src/main.ts',
            healthUrl: `http://127.0.0.1:${port}/healthz`,
            env: {
              ...common,
              API_HOST: '127.0.0.1',
              API_PORT: String(port),
              COLLAB_PUBLIC_URL: this.collabUrl,
              ARGON2_MEMORY_KIB: '1024',
              ARGON2_TIME_COST: '1',
              RATE_LIMIT_MULTIPLIER: '10000',
              BILLING_MODE: 'manual',
            },
          },
          this.logDir,
        ),
      )
    })
    collabPorts.forEach((port, i) => {
      this.collab.push(
        new ServiceProcess(
          {
            name: `collab-${i}`,
            entry: 'collab/src/main.ts',
            healthUrl: `http://127.0.0.1:${port}/healthz`,
            env: {
              ...common,
              COLLAB_HOST: '127.0.0.1',
              COLLAB_PORT: String(port),
              REDIS_URL: CLUSTER_REDIS_URL,
              COLLAB_REDIS_PREFIX: this.redisPrefix,
              COLLAB_MAX_CONNECTIONS_PER_USER: '1000',
              // small, so log compaction runs during the load too
              COLLAB_SNAPSHOT_EVERY: '200',
            },
          },
          this.logDir,
        ),
      )
    })
    workerPorts.forEach((port, i) => {
      this.workers.push(
        new ServiceProcess(
          {
            name: `worker-${i}`,
            entry: 'media-workers/src/main.ts',
            healthUrl: `http://127.0.0.1:${port}/healthz`,
            env: {
              ...common,
              WORKERS_HEALTH_HOST: '127.0.0.1',
              WORKERS_HEALTH_PORT: String(port),
              WORKER_KINDS: 'probe,transcode,thumbnails,waveform',
              WORKER_CONCURRENCY: '2',
              // a killed worker's job comes back to the other one within seconds
              WORKER_ACK_WAIT_MS: '6000',
              WORKER_RETRY_BACKOFF_MS: '500',
              WORKER_TMP_DIR: path.join(this.dir, `tmp-${i}`),
            },
          },
          this.logDir,
        ),
      )
    })
    // one api first: it creates the streams (R3 on a cluster) before the others race to
    await this.api[0]!.start()
    await Promise.all([...this.api.slice(1), ...this.collab, ...this.workers].map((s) => s.start()))
    await this.nats.waitHealthy(120_000, this.streams())
  }

  /** The streams whose replicas must be current before the next fault. */
  streams(): string[] {
    return (this.options.natsNodes ?? 3) > 1 ? [Streams.JOBS, Streams.EVENTS] : []
  }

  /** Stops everything; the folder (logs, NATS stores) stays when `keepDir` is set here or at start. */
  async stop(keepDir = false): Promise<void> {
    await Promise.all([...this.workers, ...this.collab, ...this.api].map((s) => s.stop().catch(() => {})))
    await Promise.all([this.apiBalancer?.close(), this.collabBalancer?.close()].map((p) => p?.catch(() => {})))
    await this.nats?.stop().catch(() => {})
    await this.s3?.stop().catch(() => {})
    await this.db?.drop().catch(() => {})
    if (!this.options.keepDir && !keepDir) rmSync(this.dir, { recursive: true, force: true })
  }
}

async function ports(n: number): Promise<number[]> {
  const out: number[] = []
  while (out.length < n) {
    const p = await freePort()
    if (!out.includes(p)) out.push(p)
  }
  return out
}
