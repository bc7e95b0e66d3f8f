import { consumerName, type JobKind, Streams } from '@cutroom/schema'
import type { JetStreamManager } from '@nats-io/jetstream'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { WorkerCapabilities } from './detectCapabilities'
import type { ToolTimer } from './ToolTimer'

/** Job outcomes as counted: the final ones, plus a failed attempt that will be retried and a job handed back. */
export type JobOutcomeLabel = 'succeeded' | 'failed' | 'retried' | 'cancelled' | 'handed_back' | 'invalid'

const JOB_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800]
const TOOL_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/** The media workers' Prometheus metrics, rendered at /metrics on the health port. */
export class WorkerMetrics {
  readonly registry = new Registry()
  readonly jobs = new Counter({
    name: 'cutroom_worker_jobs_total',
    help: 'Job deliveries handled, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly jobDuration = new Histogram({
    name: 'cutroom_worker_job_duration_seconds',
    help: 'Wall time of one job attempt, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: JOB_BUCKETS_S,
    registers: [this.registry],
  })
  readonly running = new Gauge({
    name: 'cutroom_worker_jobs_running',
    help: 'Jobs this process is working on, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })
  readonly toolDuration = new Histogram({
    name: 'cutroom_worker_tool_duration_seconds',
    help: 'Wall time of ffmpeg and ffprobe runs and ONNX inferences, by tool and path (gpu or cpu).',
    labelNames: ['tool', 'path'] as const,
    buckets: TOOL_BUCKETS_S,
    registers: [this.registry],
  })

  constructor(options: {
    kinds: JobKind[]
    capabilities: WorkerCapabilities
    jsm?: JetStreamManager
    processMetrics?: boolean
  }) {
    const { kinds, capabilities, jsm } = options
    const info = new Gauge({
      name: 'cutroom_worker_info',
      help: 'Always 1; labels say whether this worker encodes and infers on the GPU or the CPU.',
      labelNames: ['path', 'video_encoder', 'onnx_provider'] as const,
      registers: [this.registry],
    })
    info.set(
      {
        path: capabilities.nvenc || capabilities.cuda ? 'gpu' : 'cpu',
        video_encoder: capabilities.videoEncoder,
        onnx_provider: capabilities.onnxProviders[0] ?? 'cpu',
      },
      1,
    )
    // JetStream's view of each served kind's durable consumer, read on every scrape
    let consumerInfo: Promise<Map<JobKind, { pending: number; ackPending: number; redelivered: number }>> | null = null
    const readConsumers = () => {
      consumerInfo ??= (async () => {
        const out = new Map<JobKind, { pending: number; ackPending: number; redelivered: number }>()
        if (!jsm) return out
        for (const kind of kinds) {
          const ci = await jsm.consumers.info(Streams.JOBS, consumerName(kind)).catch(() => null)
          if (ci)
            out.set(kind, { pending: ci.num_pending, ackPending: ci.num_ack_pending, redelivered: ci.num_redelivered })
        }
        return out
      })().finally(() => setTimeout(() => (consumerInfo = null), 0))
      return consumerInfo
    }
    const consumerGauge = (
      name: string,
      help: string,
      pick: (v: { pending: number; ackPending: number; redelivered: number }) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['kind'] as const,
        registers: [this.registry],
        async collect() {
          for (const [kind, v] of await readConsumers()) this.set({ kind }, pick(v))
        },
      })
    consumerGauge(
      'cutroom_worker_queue_depth',
      'Jobs waiting in JetStream for a worker (consumer lag: messages not yet delivered), by kind.',
      (v) => v.pending,
    )
    consumerGauge(
      'cutroom_worker_jobs_unacknowledged',
      'Jobs delivered to some worker and not yet acknowledged, by kind.',
      (v) => v.ackPending,
    )
    consumerGauge(
      'cutroom_worker_jobs_redelivered',
      'Jobs JetStream delivered more than once and not yet acknowledged, by kind.',
      (v) => v.redelivered,
    )
    for (const kind of kinds) this.running.set({ kind }, 0)
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'cutroom_worker_' })
  }

  readonly timer: ToolTimer = (tool, seconds, path) => this.toolDuration.observe({ tool, path }, seconds)

  recordJob(kind: JobKind, outcome: JobOutcomeLabel, seconds?: number): void {
    this.jobs.inc({ kind, outcome })
    if (seconds !== undefined) this.jobDuration.observe({ kind, outcome }, seconds)
  }
}
