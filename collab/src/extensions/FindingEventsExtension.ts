import { newMessageId, OUTBOX_CHANNEL, parseDocumentName, qa, type WebhookEvent } from '@cutroom/schema'
import {
  type afterLoadDocumentPayload,
  type afterUnloadDocumentPayload,
  type Extension,
  isTransactionOrigin,
} from '@hocuspocus/server'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import * as Y from 'yjs'
import type { CollabContext } from '../CollabContext'
import { LOAD_ORIGIN } from './PersistenceExtension'

export interface FindingEventsConfiguration {
  sql: postgres.Sql
  log?: Logger
  /** Waits before the second, third, ... attempt to write one finding's event (default 250 ms, 1 s, 4 s). */
  retryDelaysMs: readonly number[]
}

/** The review a qa document belongs to. */
interface ReviewRef {
  id: string
  orgId: string
  projectId: string
}

/** What the extension keeps per loaded document that may be a qa document. */
interface Tracked {
  /** The review, once looked up; null when the document is no review's qa document. */
  review: Promise<ReviewRef | null>
  /** Ids of the findings the document had (drawn by a person, or suggestions accepted). */
  known: Set<string>
  detach: () => void
}

/** What `finding.created` carries, read from the document when the finding appeared. */
interface NewFinding {
  findingId: string
  title: string
  severity: string
  frame: number
  frameEnd: number
}

const EVENT: WebhookEvent = 'finding.created'

/**
 * Emits `finding.created` when a finding appears in a review's `qa` document: a person draws one (a new key in
 * `findings`) or accepts a frame-diff suggestion (its `suggestion.status` becomes `accepted`). It inserts the
 * finding's `qa_findings` row (status `open`, no assignee, `event_count` 0, so the api's first workflow action
 * updates it) with `on conflict do nothing`, and only when that insert created the row queues a delivery for each
 * enabled endpoint of the organization subscribed to the event, with the NOTIFY the delivery relays listen to, in
 * the same transaction. Whoever inserts the row first emits the event: here, or the api at the finding's first
 * `qa.*` action if this never happened.
 *
 * Changes replayed from the log at load and changes relayed from another instance through Redis (that instance
 * emitted) only update what is known; so does a document's content at load. Per loaded document it keeps whether
 * it is a qa document and which finding ids it had, so an ordinary edit costs a look at the transaction's changed
 * types and nothing in Postgres.
 *
 * Delivery trade-off: the write runs after the change is applied (the client update was already committed to the
 * log in `beforeSync`), off the update path, retried a few times and then logged and dropped; the editing
 * connection never waits for it or sees its failure. So collab emits at most once per finding (the row decides),
 * and a finding whose write was dropped, or that appeared while this instance was going down, is still announced,
 * late, by the api's upsert at its first workflow action.
 */
export class FindingEventsExtension implements Extension {
  extensionName = 'FindingEvents'
  configuration: FindingEventsConfiguration
  private readonly tracked = new Map<string, Tracked>()
  private readonly inFlight = new Set<Promise<void>>()

  constructor(configuration: Partial<FindingEventsConfiguration> & Pick<FindingEventsConfiguration, 'sql'>) {
    this.configuration = { retryDelaysMs: [250, 1000, 4000], ...configuration }
  }

  async afterLoadDocument({ documentName, document, context }: afterLoadDocumentPayload<CollabContext>): Promise<void> {
    const id = parseDocumentName(documentName)
    // A connection's context names the kind; a document loaded by the server (patches) is looked up.
    if (!id || (context?.kind !== undefined && context.kind !== 'qa')) return
    const known = new Set<string>()
    try {
      const findings = findingsRoot(document)
      if (findings) for (const [fid, m] of findings) if (m instanceof Y.Map && qa.isConfirmedFinding(m)) known.add(fid)
    } catch (err) {
      // Not a document this extension understands: never a reason to refuse the load.
      this.configuration.log?.warn({ err, documentName }, 'cannot read the findings of a loaded document')
      return
    }
    const onTransaction = (tr: Y.Transaction) => {
      // Runs inside Yjs' transaction cleanup: nothing may throw out of it.
      try {
        this.observe(documentName, document, tr)
      } catch (err) {
        this.configuration.log?.error({ err, documentName }, 'reading a change for finding.created failed')
      }
    }
    document.on('afterTransaction', onTransaction)
    const t: Tracked = {
      review: handled(this.lookUpReview(id)),
      known,
      detach: () => document.off('afterTransaction', onTransaction),
    }
    this.tracked.set(documentName, t)
    // Looked up off the load path; a document that is no review's qa document stops being watched.
    void t.review.then((review) => {
      if (review || this.tracked.get(documentName) !== t) return
      t.detach()
      this.tracked.delete(documentName)
    }, () => {})
  }

  async afterUnloadDocument({ documentName, instance }: afterUnloadDocumentPayload): Promise<void> {
    if (instance.documents.has(documentName) || instance.loadingDocuments.has(documentName)) return
    this.tracked.get(documentName)?.detach()
    this.tracked.delete(documentName)
  }

  /** Waits for the events being written (at most the retry budget). */
  async onDestroy(): Promise<void> {
    await Promise.allSettled([...this.inFlight])
    for (const t of this.tracked.values()) t.detach()
    this.tracked.clear()
  }

  /** Resolves once every event write started so far has finished (tests). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight])
  }

  private observe(documentName: string, document: Y.Doc, tr: Y.Transaction): void {
    if (tr.origin === LOAD_ORIGIN) return
    const t = this.tracked.get(documentName)
    const findings = t && findingsRoot(document)
    if (!t || !findings) return
    const root: unknown = findings
    const candidates = new Set<string>()
    for (const [type, keys] of tr.changed) {
      if (type === root) {
        for (const key of keys) if (key !== null && !t.known.has(key)) candidates.add(key)
      } else if (type._item && type._item.parent === root && keys.has('suggestion')) {
        const key = type._item.parentSub
        if (key && !t.known.has(key)) candidates.add(key)
      }
    }
    if (candidates.size === 0) return
    const relayed = isTransactionOrigin(tr.origin) && tr.origin.source === 'redis'
    for (const fid of candidates) {
      const m = findings.get(fid)
      if (!(m instanceof Y.Map) || !qa.isConfirmedFinding(m)) continue
      t.known.add(fid)
      // The instance that received the change emits it.
      if (relayed) continue
      const f = qa.getFinding(document, fid)
      if (!f || !Number.isInteger(f.frame) || !Number.isInteger(f.frameEnd)) continue
      this.emitLater(documentName, t, {
        findingId: fid,
        title: f.title.slice(0, qa.MAX_TITLE_LENGTH),
        severity: f.severity,
        frame: f.frame,
        frameEnd: f.frameEnd,
      })
    }
  }

  private emitLater(documentName: string, t: Tracked, finding: NewFinding): void {
    const { log, retryDelaysMs } = this.configuration
    const run = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          const review = await t.review
          if (!review) return
          const queued = await this.emit(review, finding)
          if (queued > 0) log?.debug({ documentName, findingId: finding.findingId, queued }, 'finding.created queued')
          return
        } catch (err) {
          const delay = retryDelaysMs[attempt]
          if (delay === undefined) {
            log?.error(
              { err, documentName, findingId: finding.findingId },
              'writing finding.created failed; the api emits it at the finding’s first workflow action',
            )
            return
          }
          log?.warn({ err, documentName, findingId: finding.findingId, attempt: attempt + 1 }, 'writing finding.created failed; retrying')
          // A failed review lookup is looked up again.
          t.review = handled(t.review.catch(() => this.lookUpReview(parseDocumentName(documentName)!)))
          await new Promise((r) => setTimeout(r, delay))
        }
      }
    })()
    this.inFlight.add(run)
    void run.finally(() => this.inFlight.delete(run))
  }

  private async lookUpReview(documentId: string): Promise<ReviewRef | null> {
    const [row] = await this.configuration.sql<{ id: string; org_id: string; project_id: string }[]>`
      select id, org_id, project_id from reviews where qa_document_id = ${documentId} limit 1`
    return row ? { id: row.id, orgId: row.org_id, projectId: row.project_id } : null
  }

  /**
   * One transaction: the `qa_findings` row (the columns the api's upsert writes) and, only if this created it,
   * the deliveries, as the api's emitWebhookEvent queues them. Returns how many were queued (-1: the row existed).
   */
  private emit(review: ReviewRef, f: NewFinding): Promise<number> {
    return this.configuration.sql.begin(async (tx) => {
      const inserted = await tx`
        insert into qa_findings (review_id, finding_id, org_id, project_id, status, assignee_id, due, title, severity,
          frame, frame_end, event_count, updated_at)
        values (${review.id}, ${f.findingId}, ${review.orgId}, ${review.projectId}, 'open', null, null, ${f.title},
          ${f.severity}, ${f.frame}, ${f.frameEnd}, 0, now())
        on conflict do nothing
        returning finding_id`
      if (inserted.length === 0) return -1
      const hooks = await tx<{ id: string }[]>`
        select id from webhooks where org_id = ${review.orgId} and enabled and events @> array[${EVENT}]::text[]`
      if (hooks.length === 0) return 0
      const timestamp = new Date().toISOString()
      const data = {
        reviewId: review.id,
        findingId: f.findingId,
        projectId: review.projectId,
        status: 'open',
        assigneeId: null,
        due: null,
        title: f.title,
        severity: f.severity,
      }
      const payload = { type: EVENT, timestamp, data }
      for (const hook of hooks)
        await tx`
          insert into webhook_deliveries (id, webhook_id, org_id, event, payload, next_attempt_at)
          values (${newMessageId()}, ${hook.id}, ${review.orgId}, ${EVENT}, ${tx.json(payload)}, now())`
      await tx`select pg_notify(${OUTBOX_CHANNEL}, '')`
      return hooks.length
    }) as Promise<number>
  }
}

/** Marks a promise as handled (its rejection is awaited later, or not at all), and returns it. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {})
  return p
}

/** The document's `findings` map, when it has one (a root type that exists is read as a map, as qa.ts does). */
function findingsRoot(document: Y.Doc): Y.Map<Y.Map<unknown>> | undefined {
  const root = document.share.get('findings')
  if (!root) return undefined
  return root instanceof Y.Map ? (root as Y.Map<Y.Map<unknown>>) : document.getMap<Y.Map<unknown>>('findings')
}
