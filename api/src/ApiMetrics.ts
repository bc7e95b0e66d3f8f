import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The api's Prometheus metrics: one registry per server, rendered at /metrics. */
export class ApiMetrics {
  readonly registry = new Registry()
  /** Calls by procedure, type and outcome (`ok` or the stable error code). */
  readonly requests = new Counter({
    name: 'cutroom_api_requests_total',
    help: 'tRPC calls by procedure, type and outcome (ok or the stable error code).',
    labelNames: ['procedure', 'type', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly duration = new Histogram({
    name: 'cutroom_api_request_duration_seconds',
    help: 'Time a tRPC procedure took, by procedure.',
    labelNames: ['procedure', 'type'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  })
  /** Refusals people feel as "slow down" or "out of quota". */
  readonly refusals = new Counter({
    name: 'cutroom_api_refusals_total',
    help: 'Calls refused by a rate limit or a plan quota, by procedure and reason.',
    labelNames: ['procedure', 'reason'] as const,
    registers: [this.registry],
  })

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'cutroom_api_' })
  }

  record(procedure: string, type: string, outcome: string, seconds: number): void {
    this.requests.inc({ procedure, type, outcome })
    this.duration.observe({ procedure, type }, seconds)
    if (outcome === 'RATE_LIMITED' || outcome === 'QUOTA_EXCEEDED') this.refusals.inc({ procedure, reason: outcome })
  }
}
