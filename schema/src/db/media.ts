import { sql } from 'drizzle-orm'
import { bigint, index, integer, jsonb, pgTable, real, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { users } from './identity'
import { projects } from './projects'
import { organizations } from './tenancy'

export const assets = pgTable(
  'assets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    status: text('status', { enum: ['uploading', 'uploaded', 'processing', 'ready', 'failed', 'rejected'] })
      .notNull()
      .default('uploading'),
    storageKey: text('storage_key').notNull(),
    /** S3 multipart upload id while a multipart upload is in progress. */
    uploadId: text('upload_id'),
    /** ffprobe metadata: duration, frame rate as a rational, size, audio. */
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    error: text('error'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The version stack: the id of its first version (an asset that is no one's new version is its own stack). */
    stackId: uuid('stack_id').notNull(),
    /** 1, 2, ... within the stack; unique per stack, so two concurrent new versions never share a number. */
    version: integer('version').notNull().default(1),
  },
  (t) => [index('assets_project_idx').on(t.projectId), unique('assets_stack_version').on(t.stackId, t.version)],
)

/** Jobs: the source of truth for status. */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    assetId: uuid('asset_id').references(() => assets.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] })
      .notNull()
      .default('queued'),
    attempt: integer('attempt').notNull().default(1),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    result: jsonb('result').$type<Record<string, unknown>>(),
    error: text('error'),
    progress: real('progress').notNull().default(0),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /**
     * When JetStream stored this attempt's message; null between the row's commit and the publish. A queued row
     * that stays null (its api died in between) is published again by any api replica.
     */
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
  },
  (t) => [
    index('jobs_project_idx').on(t.projectId, t.createdAt),
    index('jobs_asset_idx').on(t.assetId),
    index('jobs_undispatched_idx').on(t.createdAt).where(sql`status = 'queued' and dispatched_at is null`),
  ],
)

/** Every S3 object a job made. */
export const artifacts = pgTable(
  'artifacts',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    jobId: uuid('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    assetId: uuid('asset_id').references(() => assets.id, { onDelete: 'cascade' }),
    slot: text('slot').notNull(),
    storageKey: text('storage_key').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('artifacts_asset_idx').on(t.assetId)],
)

/** Metered usage, recorded once per job and metric. */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    jobId: uuid('job_id').notNull(),
    metric: text('metric').notNull(),
    quantity: real('quantity').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the row reached Stripe's meter events (the row id is the identifier); null while in the outbox. */
    meterPushedAt: timestamp('meter_pushed_at', { withTimezone: true }),
  },
  (t) => [unique('usage_job_metric').on(t.jobId, t.metric), index('usage_org_idx').on(t.orgId, t.createdAt)],
)

/**
 * Clips a discover job proposes in an asset, ranked, with the sub-scores that explain each. People accept one into
 * a timeline or dismiss it; the row keeps who did which and when (the audit log has it too).
 */
export const clipSuggestions = pgTable(
  'clip_suggestions',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    rank: integer('rank').notNull(),
    /** Milliseconds of the source, end exclusive. */
    startMs: integer('start_ms').notNull(),
    endMs: integer('end_ms').notNull(),
    score: real('score').notNull(),
    subScores: jsonb('sub_scores').$type<Record<string, number | null>>().notNull(),
    reasons: jsonb('reasons').$type<string[]>().notNull().default([]),
    text: text('text').notNull().default(''),
    status: text('status', { enum: ['suggested', 'accepted', 'dismissed'] })
      .notNull()
      .default('suggested'),
    /** The timeline the clip was accepted into. */
    acceptedDocumentId: uuid('accepted_document_id'),
    decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('clip_suggestions_asset_idx').on(t.assetId, t.jobId), index('clip_suggestions_job_idx').on(t.jobId)],
)
