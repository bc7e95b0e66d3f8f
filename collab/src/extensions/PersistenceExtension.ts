import { CloseCode, parseDocumentName } from '@cutroom/schema'
import {
  type afterLoadDocumentPayload,
  type afterUnloadDocumentPayload,
  type beforeSyncPayload,
  type beforeUnloadDocumentPayload,
  type Document,
  type Extension,
  isTransactionOrigin,
  type onLoadDocumentPayload,
} from '@hocuspocus/server'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { CollabContext } from '../CollabContext'
import { CollabRejection } from '../CollabRejection'
import type { UpdateLog } from '../UpdateLog'

export interface PersistenceConfiguration {
  updateLog: UpdateLog
  log?: Logger
  /** Largest single update accepted (4413 beyond). */
  maxUpdateBytes: number
  /** Runs after a document is loaded from the log, e.g. to apply the model's genesis and migrations. */
  prepare?: (document: Document, documentId: string, context: CollabContext) => Promise<void> | void
}

/** The origin of updates replayed from the database while loading: never appended again. */
export const LOAD_ORIGIN = Object.freeze({ source: 'load' as const })

const SYNC_STEP_1 = 0
const SYNC_STEP_2 = 1

/**
 * Saved means durable: every client update is appended to the Postgres log in `beforeSync`, which Hocuspocus
 * awaits before it applies the update and sends the sync-status acknowledgement. The provider's unsynced count
 * therefore reaches 0 only once the edit is committed. Changes made on the server (direct connections, model
 * migrations) are appended from the document's update event; callers that must know they are durable await
 * `whenPersisted`. Updates that arrive from other instances through Redis were appended by the instance that
 * received them and are skipped here.
 */
export class PersistenceExtension implements Extension {
  extensionName = 'Persistence'
  priority = 900
  configuration: PersistenceConfiguration

  constructor(configuration: Partial<PersistenceConfiguration> & Pick<PersistenceConfiguration, 'updateLog'>) {
    this.configuration = { maxUpdateBytes: 2 * 1024 * 1024, ...configuration }
  }

  /** Resolves once every server-side change of this document made so far is committed. */
  whenPersisted(documentName: string): Promise<void> {
    const id = parseDocumentName(documentName)
    return id ? this.configuration.updateLog.whenIdle(id) : Promise.resolve()
  }

  async onLoadDocument({ documentName, document, context }: onLoadDocumentPayload<CollabContext>): Promise<void> {
    const id = parseDocumentName(documentName)
    if (!id) throw new CollabRejection(CloseCode.FORBIDDEN, 'malformed document name')
    const { updates } = await this.configuration.updateLog.load(id)
    if (updates.length) applyAll(document, updates, this.configuration.log, id)
    if (this.configuration.prepare) {
      // Keep exactly what prepare() changed. (A diff against the state vector would always carry the whole
      // delete set, and so log a new row on every load of any document that ever had a deletion.)
      const changes: Uint8Array[] = []
      const collect = (update: Uint8Array) => changes.push(update)
      document.on('update', collect)
      try {
        await this.configuration.prepare(document, id, context ?? {})
      } finally {
        document.off('update', collect)
      }
      if (changes.length)
        await this.configuration.updateLog.append(
          id,
          changes.length === 1 ? changes[0]! : Y.mergeUpdates(changes),
          null,
        )
    }
  }

  async afterLoadDocument({ documentName, document }: afterLoadDocumentPayload<CollabContext>): Promise<void> {
    const id = parseDocumentName(documentName)
    if (!id) return
    document.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOAD_ORIGIN) return
      // Client updates were appended in beforeSync; Redis updates by the instance that received them.
      if (isTransactionOrigin(origin) && (origin.source === 'connection' || origin.source === 'redis')) return
      const userId = userIdOfOrigin(origin)
      this.configuration.updateLog.append(id, update, userId).catch((err) => {
        this.configuration.log?.error({ err, documentName }, 'appending a server-side change failed')
      })
    })
  }

  async beforeSync({ type, payload, connection, context, document }: beforeSyncPayload<CollabContext>): Promise<void> {
    if (type === SYNC_STEP_1 || connection.readOnly) return
    if (payload.byteLength > this.configuration.maxUpdateBytes) {
      context.socket?.close(CloseCode.UPDATE_TOO_LARGE)
      throw new CollabRejection(CloseCode.UPDATE_TOO_LARGE)
    }
    if (isEmptyUpdate(payload)) return
    // A reconnecting client's sync step 2 often holds nothing new: do not log it again.
    if (
      type === SYNC_STEP_2 &&
      !hasNewStructs(document, payload) &&
      Y.snapshotContainsUpdate(Y.snapshot(document), payload)
    )
      return
    const id = context.documentId ?? parseDocumentName(document.name)
    if (!id) throw new CollabRejection(CloseCode.FORBIDDEN)
    await this.configuration.updateLog.append(id, payload, context.user?.id ?? null)
  }

  async beforeUnloadDocument({ documentName }: beforeUnloadDocumentPayload): Promise<void> {
    await this.whenPersisted(documentName)
  }

  async afterUnloadDocument({ documentName, instance }: afterUnloadDocumentPayload): Promise<void> {
    const id = parseDocumentName(documentName)
    if (id && !instance.documents.has(documentName) && !instance.loadingDocuments.has(documentName))
      this.configuration.updateLog.forget(id)
  }

  async onDestroy(): Promise<void> {
    await this.configuration.updateLog.close()
  }
}

/** An update with no structs and no deletions (what Yjs encodes for "nothing new"). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0
}

/**
 * Whether an update carries structs beyond the document's state vector: cheap (it reads only the update itself) and, when true, the update is new without the full check, which walks the whole document.
 */
function hasNewStructs(document: Y.Doc, update: Uint8Array): boolean {
  let to: Map<number, number>
  try {
    to = Y.parseUpdateMeta(update).to
  } catch {
    return false
  }
  for (const [client, clock] of to) if (clock > Y.getState(document.store, client)) return true
  return false
}

function userIdOfOrigin(origin: unknown): string | null {
  if (isTransactionOrigin(origin) && origin.source === 'local') {
    const userId = (origin.context as { userId?: unknown } | undefined)?.userId
    return typeof userId === 'string' ? userId : null
  }
  return null
}

/**
 * Applies snapshot + log in one transaction (no Y.mergeUpdates: that would decode and re-encode the whole snapshot
 * to add a small tail); falls back to one by one so a damaged row cannot block a load.
 */
function applyAll(document: Y.Doc, updates: Uint8Array[], log: Logger | undefined, id: string): void {
  // Nothing may observe the replay: no connection is attached while a document loads and the state is already in
  // the log, yet with an `update` listener present (Hocuspocus' own broadcast) Yjs re-encodes the whole loaded state
  // into an update event, which costs about half of a bare applyUpdate again.
  const silenced = new Map<string, Set<unknown>>()
  for (const name of ['update', 'updateV2']) {
    const observers = document._observers.get(name)
    if (observers) {
      silenced.set(name, observers)
      document._observers.delete(name)
    }
  }
  try {
    try {
      Y.transact(
        document,
        () => {
          for (const update of updates) Y.applyUpdate(document, update)
        },
        LOAD_ORIGIN,
      )
      return
    } catch (err) {
      log?.error({ err, documentId: id }, 'loading the log in one transaction failed; applying it row by row')
    }
    // Applying an update twice is a no-op, so rows applied before the failure are harmless.
    for (const update of updates) {
      try {
        Y.applyUpdate(document, update, LOAD_ORIGIN)
      } catch (err) {
        log?.error({ err, documentId: id }, 'skipping an update that cannot be applied')
      }
    }
  } finally {
    for (const [name, observers] of silenced) document._observers.set(name, observers)
  }
}
