import { z } from 'zod'

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback)
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine(
      (u) => protocols.some((p) => u.startsWith(`${p}://`)),
      `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    )
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')

/** A comma-separated list of web origins (`https://host[:port]`, no path), normalized to `URL.origin`. */
const origins = z
  .string()
  .max(4000)
  .transform((value, ctx) => {
    const list: string[] = []
    for (const item of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      let u: URL | null = null
      try {
        u = new URL(item)
      } catch {}
      if (
        !u ||
        (u.protocol !== 'http:' && u.protocol !== 'https:') ||
        (u.pathname !== '/' && u.pathname !== '') ||
        u.search ||
        u.hash
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `"${item.slice(0, 80)}" is not an origin like https://app.example.com or http://localhost:5173`,
        })
        return z.NEVER
      }
      list.push(u.origin)
    }
    if (list.length > 20) {
      ctx.addIssue({ code: 'custom', message: 'at most 20 origins' })
      return z.NEVER
    }
    return list
  })

/**
 * Where the browser app is served from: the api refuses cookie-authenticated mutations, and the collab server
 * cookie-authenticated WebSocket upgrades, whose Origin is none of these (cross-site request forgery and
 * WebSocket hijacking).
 */
export const WebOriginEnv = z.object({
  /** The URL people open; used for cookies' Secure flag, links and the same-origin checks. */
  PUBLIC_URL: z.string().url().optional(),
  /** Further origins the app may be served from (e.g. the Vite dev server, http://localhost:5173). */
  ALLOWED_ORIGINS: origins.default([]),
})
export type WebOriginEnv = z.infer<typeof WebOriginEnv>

/** Variables every service reads. */
export const CommonEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP http/protobuf collector (spans go to `<it>/v1/traces`); tracing is off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http', 'https']).optional(),
})

export const DatabaseEnv = z.object({
  DATABASE_URL: url(['postgres', 'postgresql']),
  /** Connections per service process. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Named prepared statements; off for servers whose clients share one backend session (embedded PGlite). */
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
})

/**
 * One NATS URL, or several separated by commas (the seed servers of a cluster: a client that cannot reach the
 * first tries the next, and learns the rest of the cluster from whichever answers).
 */
const natsUrls = z
  .string()
  .max(4000)
  .refine((value) => {
    const list = natsServers(value)
    return list.length > 0 && list.length <= 20 && list.every((u) => url(['nats', 'tls']).safeParse(u).success)
  }, 'must be nats://host:port (or tls://), or several of them separated by commas')

/** The servers of a NATS_URL: one URL or a comma-separated list of them. */
export function natsServers(natsUrl: string): string[] {
  return natsUrl
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

export const NatsEnv = z.object({
  NATS_URL: natsUrls,
  /** Replicas of the JOBS and EVENTS streams: 1 on one server, 3 on a three-node JetStream cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
})

export const S3Env = z.object({
  S3_ENDPOINT: z.string().url().optional(),
  /** Where browsers reach S3 when it differs from S3_ENDPOINT (e.g. inside a cluster). */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().min(3).max(63).default('cutroom'),
  S3_ACCESS_KEY_ID: z.string().default('S3RVER'),
  S3_SECRET_ACCESS_KEY: z.string().default('S3RVER'),
  S3_FORCE_PATH_STYLE: bool.default(true),
})
export type CommonEnv = z.infer<typeof CommonEnv>
export type DatabaseEnv = z.infer<typeof DatabaseEnv>
export type NatsEnv = z.infer<typeof NatsEnv>
export type S3Env = z.infer<typeof S3Env>

export const ApiEnv = CommonEnv.merge(DatabaseEnv)
  .merge(NatsEnv)
  .merge(S3Env)
  .merge(WebOriginEnv)
  .extend({
    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: port(4000),
    COLLAB_PUBLIC_URL: z.string().url().optional(),
    /** Folder of the built client served at `/`. */
    CLIENT_DIST: z.string().optional(),
    SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /** Behind a load balancer: take the client address from the last X-Forwarded-For hop it appended. */
    API_TRUST_PROXY: bool.default(false),
    /** argon2id cost (OWASP defaults). Test suites lower it explicitly to keep sign-ups fast. */
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).max(1048576).default(19456),
    ARGON2_TIME_COST: z.coerce.number().int().min(1).max(10).default(2),
    /** Multiplies every rate limit of the api (sign-up, sign-in, expensive mutations); raise it for load tests. */
    RATE_LIMIT_MULTIPLIER: z.coerce.number().min(0.01).max(10000).default(1),
    /** Uploads larger than this use presigned multipart (resumable); smaller ones one presigned PUT. */
    UPLOAD_MULTIPART_THRESHOLD_BYTES: z.coerce
      .number()
      .int()
      .min(5 * 1024 * 1024)
      .default(64 * 1024 * 1024),
    /** Part size of multipart uploads (S3 needs at least 5 MiB except for the last part). */
    UPLOAD_PART_SIZE_BYTES: z.coerce
      .number()
      .int()
      .min(5 * 1024 * 1024)
      .max(5 * 1024 ** 3)
      .default(16 * 1024 * 1024),
    STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /** Stripe price ids of the paid plans (Checkout sells these). */
    STRIPE_PRICE_PRO: z.string().startsWith('price_').optional(),
    STRIPE_PRICE_TEAM: z.string().startsWith('price_').optional(),
    /** The Stripe meter event name usage is reported under (media minutes). */
    STRIPE_METER_EVENT: z.string().min(1).max(100).default('cutroom_media_minutes'),
    /** Where the Stripe SDK connects (tests point it at a local server of Stripe's API shape). */
    STRIPE_API_HOST: z.string().optional(),
    STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
    /** `manual`: owners set the plan themselves (`billing.setPlan`, self-hosted); `stripe`: plans follow Stripe. */
    BILLING_MODE: z.enum(['stripe', 'manual']).default('stripe'),
    /**
     * 32 bytes (64 hex characters) that encrypt webhook signing secrets at rest (AES-256-GCM). The secret itself
     * must be kept to sign, so it cannot be hashed. Unset: webhooks cannot be created.
     */
    WEBHOOKS_ENCRYPTION_KEY: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`')
      .optional(),
    /** Let webhooks target private, loopback and link-local addresses (tests, self-hosted receivers). */
    WEBHOOKS_ALLOW_PRIVATE: bool.default(false),
    /** Delays before the 2nd, 3rd, ... attempt, in ms (Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h). */
    WEBHOOKS_RETRY_SCHEDULE_MS: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'a comma-separated list of milliseconds')
      .default('5000,300000,1800000,7200000,18000000,36000000')
      .transform((v) => v.split(',').map(Number)),
    /**
     * How often the outbox relay looks for due deliveries (retries that came due, rows whose commit notification
     * was missed, leases that ran out). New events reach the relay at once through Postgres NOTIFY.
     */
    WEBHOOKS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    /** Listen for outbox commits (Postgres LISTEN/NOTIFY); off on the embedded database, whose clients share a session. */
    WEBHOOKS_LISTEN: bool.default(true),
    /** Run the webhook relay and delivery consumer in this api process (off when dedicated delivery processes run). */
    WEBHOOKS_DELIVERY: bool.default(true),
    /** Deliveries one process sends at once. */
    WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(32),
    /** An endpoint failing for this long (every attempt) is disabled. */
    WEBHOOKS_DISABLE_AFTER_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .default(24 * 3600 * 1000),
    WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** Outgoing mail (password reset links): `smtp://user:pass@host:587` or `smtps://...:465`. */
    SMTP_URL: url(['smtp', 'smtps']).optional(),
    /** The From address of outgoing mail. */
    MAIL_FROM: z.string().min(3).max(200).default('Cutroom <no-reply@localhost>'),
  })
export type ApiEnv = z.infer<typeof ApiEnv>

export const CollabEnv = CommonEnv.merge(DatabaseEnv)
  .merge(NatsEnv)
  .merge(WebOriginEnv)
  .extend({
    COLLAB_HOST: z.string().default('127.0.0.1'),
    COLLAB_PORT: port(4001),
    /** Set to run more than one collab instance (Hocuspocus Redis extension). */
    REDIS_URL: url(['redis', 'rediss']).optional(),
    COLLAB_MAX_UPDATE_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(2 * 1024 * 1024),
    COLLAB_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(50),
    /**
     * With Redis: how long a connection slot outlives its last heartbeat (refreshed every third of it), i.e. how
     * long the connections of a killed instance keep counting against their people's limit.
     */
    COLLAB_CONNECTION_SLOT_TTL_SECONDS: z.coerce.number().min(1).max(3600).default(30),
    /** Redis key and channel prefix; instances that serve the same documents share it. */
    COLLAB_REDIS_PREFIX: z.string().min(1).max(100).default('cutroom-collab'),
    /** Fold the update log into a snapshot after this many updates. */
    COLLAB_SNAPSHOT_EVERY: z.coerce.number().int().min(10).default(500),
    /**
     * Relay a client's update to the other connections as soon as it is applied, while its commit runs; only the
     * sender's acknowledgement waits for the commit. `false` commits before anyone else sees the update.
     */
    COLLAB_RELAY_BEFORE_COMMIT: bool.default(true),
  })
export type CollabEnv = z.infer<typeof CollabEnv>

/** Speech recognition of the transcribe job: which engine, and what each one needs. Nothing downloads at run time. */
export const AsrEnv = z.object({
  ASR_ENGINE: z.enum(['pocketsphinx', 'whisper', 'openai']).default('pocketsphinx'),
  POCKETSPHINX_PATH: z.string().default('pocketsphinx_continuous'),
  /** Decodes a job's segments in one process (transcription) and aligns known words (the align job). */
  POCKETSPHINX_BATCH_PATH: z.string().default('pocketsphinx_batch'),
  /** The acoustic model, language model and dictionary of Debian's pocketsphinx-en-us. */
  POCKETSPHINX_MODEL_DIR: z.string().default('/usr/share/pocketsphinx/model/en-us'),
  /** A whisper.cpp ggml model file the operator provides. */
  ASR_WHISPER_MODEL: z.string().optional(),
  /** Base URL of an OpenAI-compatible API (the engine posts to `<url>/v1/audio/transcriptions`). */
  ASR_OPENAI_URL: z.string().url().optional(),
  ASR_OPENAI_KEY: z.string().optional(),
  ASR_OPENAI_MODEL: z.string().max(100).default('whisper-1'),
  /** Base URL of an OpenAI-compatible chat API for retell drafts (`<url>/v1/chat/completions`); unset: extractive. */
  LLM_OPENAI_URL: z.string().url().optional(),
  LLM_OPENAI_KEY: z.string().optional(),
  LLM_OPENAI_MODEL: z.string().max(100).default('gpt-4o-mini'),
})
export type AsrEnv = z.infer<typeof AsrEnv>

/** Speech synthesis of the tts job: which engine, and what each one needs. Nothing downloads at run time. */
export const TtsEnv = z.object({
  /** `flite` (Debian's, voices kal16 and slt), `espeak-ng`, or `piper` (an ONNX voice file, `TTS_PIPER_VOICE`). */
  TTS_ENGINE: z.enum(['flite', 'espeak-ng', 'piper']).optional(),
  FLITE_PATH: z.string().default('flite'),
  ESPEAK_NG_PATH: z.string().default('espeak-ng'),
  /** A Piper voice (`<name>.onnx`, with its `<name>.onnx.json` beside it) the operator provides; picks piper. */
  TTS_PIPER_VOICE: z.string().optional(),
})
export type TtsEnv = z.infer<typeof TtsEnv>

export const WorkersEnv = CommonEnv.merge(DatabaseEnv)
  .merge(NatsEnv)
  .merge(S3Env)
  .extend({
    WORKERS_HEALTH_HOST: z.string().default('127.0.0.1'),
    WORKERS_HEALTH_PORT: port(4002),
    /** Comma-separated job kinds this process serves; all when unset. */
    WORKER_KINDS: z.string().optional(),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    WORKER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
    /** How long a delivered job may go without an ack or a working() heartbeat before it is redelivered. */
    WORKER_ACK_WAIT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    /** Delay before the first redelivery of a failed attempt; doubles with each attempt. */
    WORKER_RETRY_BACKOFF_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
    /** Scratch space for sources and outputs; the OS temp folder when unset. */
    WORKER_TMP_DIR: z.string().optional(),
    /** Prefer CPU even when CUDA or NVENC is present. */
    WORKER_FORCE_CPU: bool.default(false),
    FFMPEG_PATH: z.string().default('ffmpeg'),
    FFPROBE_PATH: z.string().default('ffprobe'),
  })
  .merge(AsrEnv)
  .merge(TtsEnv)
  .superRefine((env, ctx) => {
    if (env.ASR_ENGINE === 'openai' && !env.ASR_OPENAI_URL)
      ctx.addIssue({ code: 'custom', path: ['ASR_OPENAI_URL'], message: 'is required when ASR_ENGINE=openai' })
    if (env.ASR_ENGINE === 'whisper' && !env.ASR_WHISPER_MODEL)
      ctx.addIssue({
        code: 'custom',
        path: ['ASR_WHISPER_MODEL'],
        message: 'is required when ASR_ENGINE=whisper (a ggml model file)',
      })
    if (env.TTS_ENGINE === 'piper' && !env.TTS_PIPER_VOICE)
      ctx.addIssue({
        code: 'custom',
        path: ['TTS_PIPER_VOICE'],
        message: 'is required when TTS_ENGINE=piper (a Piper .onnx voice file)',
      })
  })
export type WorkersEnv = z.infer<typeof WorkersEnv>

/** What `npm start` reads: services left unset are embedded. */
export const LauncherEnv = CommonEnv.extend({
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  NATS_URL: natsUrls.optional(),
  S3_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().min(3).max(63).default('cutroom'),
  REDIS_URL: url(['redis', 'rediss']).optional(),
  API_PORT: port(4000),
  COLLAB_PORT: port(4001),
  WORKERS_HEALTH_PORT: port(4002),
  DATA_DIR: z.string().default('.data'),
})
export type LauncherEnv = z.infer<typeof LauncherEnv>
