import { boolean, date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { users } from './identity'
import { assets, jobs } from './media'
import { documents, projects } from './projects'
import { organizations } from './tenancy'

/** A review of one asset version (optionally against another): its qa and qa-workflow documents. */
export const reviews = pgTable(
  'reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    compareToAssetId: uuid('compare_to_asset_id').references(() => assets.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    qaDocumentId: uuid('qa_document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    workflowDocumentId: uuid('workflow_document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    framediffJobId: uuid('framediff_job_id').references(() => jobs.id, { onDelete: 'set null' }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reviews_project_idx').on(t.projectId, t.createdAt)],
)

/**
 * The workflow state of each finding as the qa-workflow document has it, for queries across projects
 * (`qa.myFindings`). Inserted by collab when the finding appears in the qa document (`open`, `eventCount` 0,
 * with its `finding.created` webhook deliveries), then written by the api after collab applied each workflow
 * change; `eventCount` (the document's trail length after the change) orders writes, so a late reply never
 * overwrites a newer state.
 */
export const qaFindings = pgTable(
  'qa_findings',
  {
    reviewId: uuid('review_id')
      .notNull()
      .references(() => reviews.id, { onDelete: 'cascade' }),
    findingId: text('finding_id').notNull(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    status: text('status', {
      enum: ['open', 'in_progress', 'ready_for_review', 'approved', 'changes_requested', 'blocked'],
    }).notNull(),
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    due: date('due', { mode: 'string' }),
    title: text('title').notNull(),
    severity: text('severity').notNull(),
    frame: integer('frame').notNull(),
    frameEnd: integer('frame_end').notNull(),
    eventCount: integer('event_count').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.reviewId, t.findingId] }),
    index('qa_findings_assignee_idx').on(t.assigneeId, t.due),
  ],
)

/**
 * A review link: whoever holds its token may join that one review as a named guest until `expiresAt` or until it
 * is revoked. Only `sha256(token)` is stored; the token itself is shown once, in the link.
 */
export const reviewShares = pgTable(
  'review_shares',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    reviewId: uuid('review_id')
      .notNull()
      .references(() => reviews.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    /** False: guests read the qa document and cannot comment or draw. */
    allowComments: boolean('allow_comments').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('review_shares_review_idx').on(t.reviewId, t.createdAt)],
)

/**
 * A guest who joined through a review link: a short-lived credential (`crg_…`, stored as sha256 in `id`) limited
 * to the link's review. It ends with its own expiry, the link's expiry or the link's revocation, whichever is first.
 */
export const reviewGuests = pgTable(
  'review_guests',
  {
    id: text('id').primaryKey(),
    shareId: uuid('share_id')
      .notNull()
      .references(() => reviewShares.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('review_guests_share_idx').on(t.shareId)],
)
