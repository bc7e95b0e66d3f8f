const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500]
const RATE_WINDOW_S = 10

/** The collab server's counters, rendered as Prometheus text by the Metrics extension. */
export class CollabMetrics {
  updatesPersisted = 0
  appendBatches = 0
  updatesRejected = 0
  bytesStored = 0
  snapshotsWritten = 0
  patchesApplied = 0
  connectionsRefused: Record<string, number> = {}
  private readonly latencyCounts = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0)
  private latencySum = 0
  private latencyCount = 0
  // Updates per second over the last RATE_WINDOW_S whole seconds, kept as per-second buckets.
  private readonly perSecond = new Array<number>(RATE_WINDOW_S).fill(0)
  private currentSecond = Math.floor(Date.now() / 1000)

  /** One batched INSERT of `count` updates and `bytes` bytes took `ms`; every update in it waited that long. */
  recordAppend(count: number, bytes: number, ms: number): void {
    this.updatesPersisted += count
    this.appendBatches += 1
    this.bytesStored += bytes
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++)
      if (ms <= LATENCY_BUCKETS_MS[i]!) this.latencyCounts[i]! += count
    this.latencySum += (ms / 1000) * count
    this.latencyCount += count
    this.tick()
    this.perSecond[this.currentSecond % RATE_WINDOW_S]! += count
  }

  recordRefusal(code: number): void {
    this.connectionsRefused[code] = (this.connectionsRefused[code] ?? 0) + 1
  }

  updatesPerSecond(): number {
    this.tick()
    let total = 0
    for (let i = 1; i <= RATE_WINDOW_S; i++)
      total += this.perSecond[(this.currentSecond - i + RATE_WINDOW_S * 2) % RATE_WINDOW_S]!
    return total / RATE_WINDOW_S
  }

  private tick(): void {
    const now = Math.floor(Date.now() / 1000)
    const steps = Math.min(now - this.currentSecond, RATE_WINDOW_S)
    for (let i = 1; i <= steps; i++) this.perSecond[(this.currentSecond + i) % RATE_WINDOW_S] = 0
    this.currentSecond = now
  }

  render(gauges: { connections: number; documents: number }): string {
    const lines: string[] = []
    const metric = (name: string, type: string, help: string, values: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`)
    }
    metric('cutroom_collab_connections', 'gauge', 'Open document connections.', [['', gauges.connections]])
    metric('cutroom_collab_documents_loaded', 'gauge', 'Documents loaded in memory.', [['', gauges.documents]])
    metric('cutroom_collab_updates_total', 'counter', 'Updates appended to the durable log.', [
      ['', this.updatesPersisted],
    ])
    metric('cutroom_collab_append_batches_total', 'counter', 'INSERTs that appended updates (group commits).', [
      ['', this.appendBatches],
    ])
    metric(
      'cutroom_collab_updates_per_second',
      'gauge',
      `Updates appended per second over the last ${RATE_WINDOW_S} s.`,
      [['', this.updatesPerSecond()]],
    )
    metric('cutroom_collab_bytes_stored_total', 'counter', 'Bytes of updates and snapshots written.', [
      ['', this.bytesStored],
    ])
    metric('cutroom_collab_snapshots_total', 'counter', 'Snapshots written by log compaction.', [
      ['', this.snapshotsWritten],
    ])
    metric('cutroom_collab_patches_total', 'counter', 'Server-side patches applied.', [['', this.patchesApplied]])
    metric(
      'cutroom_collab_refusals_total',
      'counter',
      'Connections and frames refused, by close code.',
      Object.entries(this.connectionsRefused).map(([code, n]) => [`{code="${code}"}`, n]),
    )
    metric('cutroom_collab_persist_latency_seconds', 'histogram', 'Time from receiving an update to its commit.', [
      ...LATENCY_BUCKETS_MS.map((b, i): [string, number] => [`_bucket{le="${b / 1000}"}`, this.latencyCounts[i]!]),
      ['_bucket{le="+Inf"}', this.latencyCount],
      ['_sum', this.latencySum],
      ['_count', this.latencyCount],
    ])
    return `${lines.join('\n')}\n`
  }
}
