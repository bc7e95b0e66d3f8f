import { encodeBase64urlNoPadding } from '@oslojs/encoding'

/** The events an outbound webhook can subscribe to. */
export const WEBHOOK_EVENTS = [
  'asset.ready',
  'job.succeeded',
  'job.failed',
  'transcript.ready',
  'export.completed',
  'review.created',
  'finding.created',
  'finding.assigned',
  'finding.status_changed',
  'review.approved',
  'quota.warning',
] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

/** A Standard Webhooks message id (`webhook_deliveries.id`): `msg_` and 24 random bytes' worth, base64url. */
export function newMessageId(): string {
  const bytes = new Uint8Array(18)
  crypto.getRandomValues(bytes)
  return `msg_${encodeBase64urlNoPadding(bytes)}`
}

/**
 * The Postgres channel the webhook delivery relays listen on: whoever queues `webhook_deliveries` rows runs
 * `select pg_notify(OUTBOX_CHANNEL, '')` in the same transaction (Postgres delivers it on commit, never on rollback).
 */
export const OUTBOX_CHANNEL = 'webhook_outbox'

/** Longest webhook URL accepted. */
export const WEBHOOK_URL_MAX = 2048

/** Metrics a plan limits and the billing page shows. */
export const QUOTA_METRICS = ['media_minutes', 'storage_bytes', 'seats'] as const
export type QuotaMetric = (typeof QUOTA_METRICS)[number]

/** Fractions of a limit at which owners and admins are warned. */
export const QUOTA_WARNING_THRESHOLDS = [80, 100] as const
