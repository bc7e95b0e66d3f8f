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

/** Longest webhook URL accepted. */
export const WEBHOOK_URL_MAX = 2048

/** Metrics a plan limits and the billing page shows. */
export const QUOTA_METRICS = ['media_minutes', 'storage_bytes', 'seats'] as const
export type QuotaMetric = (typeof QUOTA_METRICS)[number]

/** Fractions of a limit at which owners and admins are warned. */
export const QUOTA_WARNING_THRESHOLDS = [80, 100] as const
