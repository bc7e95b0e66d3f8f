import { bigint, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import type { BrandKitSpec } from '../brandKit'
import { users } from './identity'
import { organizations } from './tenancy'

/** A file uploaded for brand kits (logo, watermark, font, slate), stored once per organization. */
export const brandKitFiles = pgTable(
  'brand_kit_files',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** What the bytes are, checked from their first bytes on completion. */
    kind: text('kind', { enum: ['image', 'font', 'video'] }).notNull(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: ['uploading', 'ready', 'rejected'] })
      .notNull()
      .default('uploading'),
    error: text('error'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('brand_kit_files_org_idx').on(t.orgId)],
)

/** A brand kit: its current version number; a deleted kit keeps its versions (exports record which one they used). */
export const brandKits = pgTable(
  'brand_kits',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('brand_kits_org_idx').on(t.orgId)],
)

/** Every version of a kit, never changed once written: the settings as given (file ids) and the spec exports read. */
export const brandKitVersions = pgTable(
  'brand_kit_versions',
  {
    brandKitId: uuid('brand_kit_id')
      .notNull()
      .references(() => brandKits.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
    spec: jsonb('spec').$type<BrandKitSpec>().notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdByApiKey: text('created_by_api_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('brand_kit_versions_pk').on(t.brandKitId, t.version)],
)
