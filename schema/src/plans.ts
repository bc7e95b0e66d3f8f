/** Billing plans as code. Quotas are per organization. */
export const PLANS = {
  free: {
    label: 'Free',
    mediaMinutesPerMonth: 60,
    storageBytes: 5 * 1024 ** 3,
    seats: 3,
    // one upload queues four jobs (probe, then transcode, thumbnails, waveform): room for a second upload meanwhile
    concurrentJobs: 6,
    maxUploadBytes: 2 * 1024 ** 3,
  },
  pro: {
    label: 'Pro',
    mediaMinutesPerMonth: 1_000,
    storageBytes: 500 * 1024 ** 3,
    seats: 10,
    concurrentJobs: 16,
    maxUploadBytes: 20 * 1024 ** 3,
  },
  team: {
    label: 'Team',
    mediaMinutesPerMonth: 10_000,
    storageBytes: 5 * 1024 ** 4,
    seats: 100,
    concurrentJobs: 64,
    maxUploadBytes: 100 * 1024 ** 3,
  },
} as const
export type PlanId = keyof typeof PLANS
export const PLAN_IDS = Object.keys(PLANS) as PlanId[]
