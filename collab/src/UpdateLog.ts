import type { Logger } from 'pino'
import type postgres from 'postgres'
import * as Y from 'yjs'
import type { CollabMetrics } from './CollabMetrics'

export interface UpdateLogOptions {
  sql: postgres.Sql
  log?: Logger
  metrics?: CollabMetrics
  /** Fold the log into a snapshot once a document has this many updates after its snapshot. */
  snapshotEvery: number
  /** Rows per INSERT (bounded by Postgres' 65535 parameters). */
  maxBatchRows?: number
  /** INSERTs in flight at once, each on documents none of the others holds (keep below the pool size). */
  maxConcurrentBatches?: number
}

export interface LoadedDocument {
  /** Snapshot state followed by every update left in the log, in seq order. */
  updates: Uint8Array[]
  lastSeq: number
}

interface PendingAppend {
  docId: string
  update: Uint8Array
  userId: string | null
  enqueuedAt: number
  resolve: () => void
  reject: (err: unknown) => void
}

interface DocState {
  /** The last seq this instance appended or loaded (for information; seqs are assigned by the INSERT). */
  lastSeq: number | null
  /** Updates in the log after the snapshot, as far as this instance knows. */
  sinceSnapshot: number
  compacting: boolean
  /** Appends of this document not yet committed. */
  inFlight: Set<Promise<void>>
}

const UNIQUE_VIOLATION = '23505'
const SERIALIZATION_FAILURE = '40001'
const MAX_CONFLICT_RETRIES = 50

/**
 * The durable update log of every document in Postgres (`doc_updates`, folded into `doc_snapshots`).
 *
 * Appends are group-committed: whatever arrives while a document's INSERT is in flight goes into its next one, for
 * every document together; documents without a batch in flight do not wait for another document's commit. The INSERT itself assigns seqs after the last one in the log, so one round trip per batch;
 * when two instances append to one document at the same moment the primary key refuses one of them, which retries
 * with the next seqs.
 *
 * Compaction folds exactly the rows it read (a REPEATABLE READ transaction deletes only rows in its snapshot),
 * so a row committed concurrently is never lost, and loading applies snapshot + every remaining row: applying an
 * update twice is a no-op in Yjs, so order and overlap cannot corrupt a load.
 */
export class UpdateLog {
  private readonly sql: postgres.Sql
  private readonly options: Required<
    Pick<UpdateLogOptions, 'snapshotEvery' | 'maxBatchRows' | 'maxConcurrentBatches'>
  > &
    UpdateLogOptions
  private readonly docs = new Map<string, DocState>()
  private queue: PendingAppend[] = []
  /** Running INSERTs, and the documents they hold: a document's appends are committed one batch at a time, in order. */
  private readonly batches = new Set<Promise<void>>()
  private readonly busyDocs = new Set<string>()
  private scheduled = false
  private closed = false
  private readonly compactions = new Set<Promise<void>>()
  private readonly compactionChain = new Map<string, Promise<number>>()

  constructor(options: UpdateLogOptions) {
    this.sql = options.sql
    this.options = { maxBatchRows: 1000, maxConcurrentBatches: 4, ...options }
  }

  /** Snapshot + log of a document, read in one consistent snapshot; seeds the seq counter. */
  async load(docId: string): Promise<LoadedDocument> {
    await this.whenIdle(docId)
    const { snapshot, rows } = await this.sql.begin('isolation level repeatable read read only', async (tx) => {
      const [snapshot] = await tx<{ state: Uint8Array; up_to_seq: string }[]>`
        select state, up_to_seq from doc_snapshots where doc_id = ${docId}`
      const rows = await tx<{ seq: string; update: Uint8Array }[]>`
        select seq, update from doc_updates where doc_id = ${docId} order by seq`
      return { snapshot, rows }
    })
    const upTo = snapshot ? Number(snapshot.up_to_seq) : 0
    const lastSeq = Math.max(upTo, rows.length ? Number(rows[rows.length - 1]!.seq) : 0)
    const state = this.state(docId)
    state.lastSeq = Math.max(state.lastSeq ?? 0, lastSeq)
    state.sinceSnapshot = rows.length
    const updates = rows.map((r) => r.update)
    if (snapshot) updates.unshift(snapshot.state)
    return { updates, lastSeq }
  }

  /** Appends one update; resolves once it is committed. */
  append(docId: string, update: Uint8Array, userId: string | null): Promise<void> {
    if (this.closed) return Promise.reject(new Error('update log closed'))
    const state = this.state(docId)
    const promise = new Promise<void>((resolve, reject) => {
      this.queue.push({ docId, update, userId, enqueuedAt: performance.now(), resolve, reject })
    })
    state.inFlight.add(promise)
    const settle = () => state.inFlight.delete(promise)
    promise.then(settle, settle)
    this.schedule()
    return promise
  }

  /** Resolves when every append of this document enqueued so far has settled. */
  async whenIdle(docId: string): Promise<void> {
    const state = this.docs.get(docId)
    if (state && state.inFlight.size > 0) await Promise.allSettled([...state.inFlight])
  }

  /** Forgets a document's counter once it is unloaded and idle (the next load reseeds it). */
  forget(docId: string): void {
    const state = this.docs.get(docId)
    if (state && state.inFlight.size === 0 && !state.compacting) this.docs.delete(docId)
  }

  /** Flushes what is queued and waits for running compactions; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true
    while (this.batches.size || this.queue.length) {
      this.pump()
      await Promise.allSettled([...this.batches])
    }
    await Promise.allSettled([...this.compactions])
  }

  private state(docId: string): DocState {
    let state = this.docs.get(docId)
    if (!state) {
      state = { lastSeq: null, sinceSnapshot: 0, compacting: false, inFlight: new Set() }
      this.docs.set(docId, state)
    }
    return state
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    // setImmediate: every frame read from the sockets in this poll phase joins the batch.
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  /**
   * Starts INSERTs for what is queued: while one batch commits, appends to other documents go out in another batch
   * instead of waiting behind it (with many documents an edit would otherwise often wait for two commits). A
   * document with a batch in flight keeps its appends queued, in order, until that batch settles.
   */
  private pump(): void {
    while (this.queue.length && this.batches.size < this.options.maxConcurrentBatches) {
      const batch: PendingAppend[] = []
      const rest: PendingAppend[] = []
      const held = new Set(this.busyDocs)
      for (const item of this.queue) {
        if (held.has(item.docId) || batch.length >= this.options.maxBatchRows) {
          rest.push(item)
          held.add(item.docId)
        } else batch.push(item)
      }
      if (!batch.length) return
      this.queue = rest
      const docs = new Set(batch.map((b) => b.docId))
      for (const d of docs) this.busyDocs.add(d)
      const run = this.commit(batch).finally(() => {
        for (const d of docs) this.busyDocs.delete(d)
        this.batches.delete(run)
        if (this.queue.length) this.pump()
      })
      this.batches.add(run)
    }
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    try {
      await this.insert(batch)
      for (const item of batch) item.resolve()
    } catch (err) {
      this.options.log?.error({ err, rows: batch.length }, 'appending updates failed')
      for (const item of batch) item.reject(err)
    }
  }

  private async insert(batch: PendingAppend[]): Promise<void> {
    // Position of each update within its document's part of the batch: seq = last seq of the document + ord.
    const ords = new Map<string, number>()
    const items = batch.map((item) => {
      const ord = (ords.get(item.docId) ?? 0) + 1
      ords.set(item.docId, ord)
      return {
        doc_id: item.docId,
        ord,
        update: Buffer.from(item.update.buffer, item.update.byteOffset, item.update.byteLength).toString('base64'),
        user_id: item.userId,
      }
    })
    for (let attempt = 0; ; attempt++) {
      try {
        // One statement: the seqs follow the last one in the log (or the snapshot), read when the statement runs.
        const rows = await this.sql<{ doc_id: string; seq: string }[]>`
          with input as (
            select t.doc_id, t.ord, decode(t.update, 'base64') as update, t.user_id
            from jsonb_to_recordset(${this.sql.json(items)}::jsonb) as t(doc_id uuid, ord int, update text, user_id uuid)
          ), base as (
            select d.doc_id, greatest(
              coalesce((select max(u.seq) from doc_updates u where u.doc_id = d.doc_id), 0),
              coalesce((select s.up_to_seq from doc_snapshots s where s.doc_id = d.doc_id), 0)) as last
            from (select distinct doc_id from input) d
          )
          insert into doc_updates (doc_id, seq, update, user_id)
          select input.doc_id, base.last + input.ord, input.update, input.user_id
          from input join base using (doc_id)
          returning doc_id, seq`
        this.afterInsert(batch, rows)
        return
      } catch (err) {
        // Another instance appended to the same document at the same moment: take the next seqs and retry.
        if ((err as { code?: string }).code === UNIQUE_VIOLATION && attempt < MAX_CONFLICT_RETRIES) {
          await new Promise((r) => setTimeout(r, 1 + Math.random() * 4 * (attempt + 1)))
          continue
        }
        throw err
      }
    }
  }

  private afterInsert(batch: PendingAppend[], rows: { doc_id: string; seq: string }[]): void {
    const now = performance.now()
    let bytes = 0
    let oldest = now
    for (const item of batch) {
      bytes += item.update.byteLength
      oldest = Math.min(oldest, item.enqueuedAt)
    }
    this.options.metrics?.recordAppend(batch.length, bytes, now - oldest)
    for (const row of rows) {
      const state = this.state(row.doc_id)
      state.lastSeq = Math.max(state.lastSeq ?? 0, Number(row.seq))
      state.sinceSnapshot += 1
    }
    for (const docId of new Set(batch.map((b) => b.docId))) {
      const state = this.state(docId)
      if (state.sinceSnapshot >= this.options.snapshotEvery && !state.compacting) this.startCompaction(docId)
    }
  }

  private startCompaction(docId: string): void {
    const state = this.docs.get(docId)!
    state.compacting = true
    const run = this.compact(docId)
      .then((folded) => {
        state.sinceSnapshot = Math.max(0, state.sinceSnapshot - folded)
      })
      .catch((err) => this.options.log?.warn({ err, docId }, 'log compaction failed; will retry later'))
      .finally(() => {
        state.compacting = false
        this.compactions.delete(run)
      })
    this.compactions.add(run)
  }

  /**
   * Folds the snapshot and every row of the log into a new snapshot; returns how many rows it folded.
   * Compactions of one document run one at a time here; one racing on another instance makes this transaction
   * fail to serialize, and it is retried on a fresh snapshot.
   */
  async compact(docId: string): Promise<number> {
    const previous = this.compactionChain.get(docId) ?? Promise.resolve(0)
    const run = previous.catch(() => 0).then(() => this.compactWithRetry(docId))
    this.compactionChain.set(docId, run)
    try {
      return await run
    } finally {
      if (this.compactionChain.get(docId) === run) this.compactionChain.delete(docId)
    }
  }

  private async compactWithRetry(docId: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.compactOnce(docId)
      } catch (err) {
        const code = (err as { code?: string }).code
        if ((code === SERIALIZATION_FAILURE || code === UNIQUE_VIOLATION) && attempt < 3) continue
        throw err
      }
    }
  }

  private async compactOnce(docId: string): Promise<number> {
    return this.sql.begin('isolation level repeatable read', async (tx) => {
      // Serializes compactions of one document across instances.
      await tx`select pg_advisory_xact_lock(hashtextextended(${`cutroom.compact.${docId}`}, 0))`
      const [snapshot] = await tx<{ state: Uint8Array; up_to_seq: string }[]>`
        select state, up_to_seq from doc_snapshots where doc_id = ${docId}`
      const rows = await tx<{ seq: string; update: Uint8Array }[]>`
        select seq, update from doc_updates where doc_id = ${docId} order by seq`
      if (!rows.length) return 0
      const doc = new Y.Doc()
      if (snapshot) Y.applyUpdate(doc, snapshot.state)
      for (const row of rows) Y.applyUpdate(doc, row.update)
      const state = Y.encodeStateAsUpdate(doc)
      const stateVector = Y.encodeStateVector(doc)
      doc.destroy()
      const upTo = Math.max(Number(snapshot?.up_to_seq ?? 0), Number(rows[rows.length - 1]!.seq))
      await tx`
        insert into doc_snapshots (doc_id, state, state_vector, up_to_seq)
        values (${docId}, ${Buffer.from(state)}, ${Buffer.from(stateVector)}, ${upTo})
        on conflict (doc_id) do update set state = excluded.state, state_vector = excluded.state_vector,
          up_to_seq = excluded.up_to_seq, created_at = now()`
      // Only the rows this transaction's snapshot sees, i.e. exactly the rows folded above.
      await tx`delete from doc_updates where doc_id = ${docId} and seq <= ${upTo}`
      if (this.options.metrics) {
        this.options.metrics.snapshotsWritten += 1
        this.options.metrics.bytesStored += state.byteLength
      }
      return rows.length
    })
  }
}
