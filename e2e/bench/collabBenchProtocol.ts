/** IPC messages between the collab benchmark's orchestrator, its server process and its client process. */

export const SERVER_KINDS = ['cutroom', 'cutroom-own-pg', 'cutroom-commit-first', 'hocuspocus', 'y-websocket'] as const
export type ServerKind = (typeof SERVER_KINDS)[number]

export const SERVER_LABELS: Record<ServerKind, string> = {
  cutroom: 'Cutroom collab (shared Postgres)',
  'cutroom-own-pg': "Cutroom collab (bench's own Postgres)",
  'cutroom-commit-first': 'Cutroom, commit before relay (shared Postgres)',
  hocuspocus: 'bare Hocuspocus 4 (memory)',
  'y-websocket': '@y/websocket-server 0.1.1',
}

/** What a server process reports once it listens. */
export interface ServerReady {
  type: 'ready'
  url: string
  /** Document names for the edit scenarios (at least 100). */
  docNames: string[]
  /** The name of the stored two-hour transcript. */
  transcriptName: string
  token: string
  transcriptBytes: number
}

export interface MemoryReport {
  heapUsed: number
  rss: number
  external: number
}

export interface ColdLoadReport {
  /** Server-side load of the stored transcript (storage read + apply + prepare), ms per run. */
  serverLoadMs: number[]
  /** A bare Y.applyUpdate of the same state into a fresh Y.Doc, ms per run. */
  applyUpdateMs: number[]
  /** Heap held by the loaded transcript document (after GC). */
  loadedDocBytes: number
}

export type ServerRequest =
  | { type: 'memory' }
  | { type: 'coldLoad'; runs: number }
  | { type: 'profile'; action: 'start' }
  | { type: 'profile'; action: 'stop'; file: string }
  | { type: 'stop' }
export type ServerReply =
  | ServerReady
  | ({ type: 'memory' } & MemoryReport)
  | ({ type: 'coldLoad' } & ColdLoadReport)
  | { type: 'profile' }

export interface LatencyReport {
  samples: number
  expected: number
  p50: number
  p99: number
  edits: number
}
export interface ThroughputReport {
  edits: number
  deliveries: number
  delivered: number
  seconds: number
}

export type ClientRequest =
  | { type: 'connect'; providers: number; docs: number }
  | { type: 'latency'; seconds: number; rate: number }
  | { type: 'throughput'; edits: number; timeoutMs: number }
  | { type: 'open'; name: string; runs: number }
  | { type: 'stop' }
export type ClientReply =
  | { type: 'connected'; providers: number; ms: number }
  | ({ type: 'latency' } & LatencyReport)
  | ({ type: 'throughput' } & ThroughputReport)
  | { type: 'open'; ms: number[] }
  | { type: 'error'; message: string }
