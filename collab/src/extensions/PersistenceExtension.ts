import { CloseCode, parseDocumentName } from '@cutroom/schema'
import {
  type afterLoadDocumentPayload,
  type afterUnloadDocumentPayload,
  type beforeSyncPayload,
  type beforeUnloadDocumentPayload,
  type Connection,
  type Document,
  type Extension,
  isTransactionOrigin,
  type onLoadDocumentPayload,
} from '@hocuspocus/server'
import * as decoding from 'lib0/decoding'
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
  /**
   * Relay a client's update to the other connections as soon as it is applied, while its commit runs; only the
   * sender's acknowledgement waits for the commit. Off: the update is committed before it is applied at all.
   */
  relayBeforeCommit: boolean
  /** Runs after a document is loaded from the log, e.g. to apply the model's genesis and migrations. */
  prepare?: (document: Document, documentId: string, context: CollabContext) => Promise<void> | void
}

/** The origin of updates replayed from the database while loading: never appended again. */
export const LOAD_ORIGIN = Object.freeze({ source: 'load' as const })

const SYNC_STEP_1 = 0
const SYNC_STEP_2 = 1
/** Hocuspocus' MessageType.SyncStatus: the acknowledgement that an update was handled. */
const SYNC_STATUS = 8

/**
 * Saved means durable: the sync-status acknowledgement of a client update reaches its sender only once the update is
 * committed to the Postgres log, so the provider's unsynced count reaches 0 only then.
 *
 * With `relayBeforeCommit` (the default) the update is applied and relayed to everyone else at once and its append
 * runs meanwhile; the sender's acknowledgements are held back until it commits. A crash before the commit loses
 * nothing: the sender has the update unacknowledged and sends it again when it reconnects, and every receiver
 * holds it and sends it back in its sync step 2 against the reloaded document. Other instances get a document's
 * state through Redis only once everything this instance held of it when the message was encoded is committed
 * (`gatePublish`), so no instance ever holds an update that is durable nowhere but in its sender and the crashed
 * instance; and a sync step 2 with nothing new is acknowledged only once everything this instance holds of the
 * document is committed. When an append fails, the
 * whole state of the document in memory is appended again (retried with backoff) and the acknowledgements wait
 * for that. Without `relayBeforeCommit` the append is awaited in `beforeSync`, before Hocuspocus applies the update.
 *
 * Changes made on the server (direct connections, model migrations) are appended from the document's update
 * event; callers that must know they are durable await `whenPersisted`.
 */
export class PersistenceExtension implements Extension {
  extensionName = 'Persistence'
  priority = 900
  configuration: PersistenceConfiguration
  /** Documents whose in-memory state is being appended again after a failed append. */
  private readonly repairs = new Map<string, Promise<void>>()
  private readonly gates = new WeakMap<Connection, AckGate>()
  private destroyed = false

  constructor(configuration: Partial<PersistenceConfiguration> & Pick<PersistenceConfiguration, 'updateLog'>) {
    this.configuration = { maxUpdateBytes: 2 * 1024 * 1024, relayBeforeCommit: true, ...configuration }
  }

  /** Resolves once every change of this document this instance holds so far is committed. */
  async whenPersisted(documentName: string): Promise<void> {
    const id = parseDocumentName(documentName)
    if (!id) return
    await this.configuration.updateLog.whenIdle(id)
    await this.repairs.get(id)
  }

  /** Appends an update; on failure appends the document's whole state again until that commits. Never rejects. */
  private persist(id: string, document: Document, update: Uint8Array, userId: string | null): Promise<void> {
    return this.configuration.updateLog.append(id, update, userId).catch((err) => {
      this.configuration.log?.error({ err, documentId: id }, 'appending an update failed; appending the document again')
      return this.repair(id, document)
    })
  }

  private repair(id: string, document: Document): Promise<void> {
    const running = this.repairs.get(id)
    if (running) return running
    const run = (async () => {
      for (let attempt = 0; ; attempt++) {
        if (this.destroyed) throw new Error('collab server closing')
        await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** attempt)))
        try {
          await this.configuration.updateLog.append(id, Y.encodeStateAsUpdate(document), null)
          return
        } catch (err) {
          this.configuration.log?.error({ err, documentId: id, attempt }, 'appending the document again failed')
        }
      }
    })().finally(() => this.repairs.delete(id))
    this.repairs.set(id, run)
    return run
  }

  /**
   * Wraps a publish to other instances (the Redis extension's): each message about a document leaves only once
   * every change this instance held of it when the message was made is committed; messages keep their order.
   */
  gatePublish<T>(
    publish: (channel: string, message: Buffer) => Promise<T>,
  ): (channel: string, message: Buffer) => Promise<T | undefined> {
    if (!this.configuration.relayBeforeCommit) return publish
    let chain: Promise<unknown> = Promise.resolve()
    return (channel, message) => {
      const documentName = documentNameOfRedisMessage(message)
      // A rejection only means the server is closing: the message goes out as it would have without the gate.
      const persisted = (documentName ? this.whenPersisted(documentName) : Promise.resolve()).catch(() => {})
      const sent = Promise.all([chain, persisted]).then(() => publish(channel, message))
      chain = sent.catch(() => {})
      return sent
    }
  }

  private gate(connection: Connection): AckGate {
    let gate = this.gates.get(connection)
    if (!gate) {
      gate = new AckGate(connection)
      this.gates.set(connection, gate)
    }
    return gate
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
      // Client updates are appended in beforeSync; updates from Redis were committed by their instance before they
      // left it (see `gatePublish`).
      if (isTransactionOrigin(origin) && (origin.source === 'connection' || origin.source === 'redis')) return
      // Rejects only when the server is closing with the append still failing.
      this.persist(id, document, update, userIdOfOrigin(origin)).catch(() => {})
    })
  }

  async beforeSync({ type, payload, connection, context, document }: beforeSyncPayload<CollabContext>): Promise<void> {
    if (type === SYNC_STEP_1 || connection.readOnly) return
    if (payload.byteLength > this.configuration.maxUpdateBytes) {
      context.socket?.close(CloseCode.UPDATE_TOO_LARGE)
      throw new CollabRejection(CloseCode.UPDATE_TOO_LARGE)
    }
    const id = context.documentId ?? parseDocumentName(document.name)
    if (!id) throw new CollabRejection(CloseCode.FORBIDDEN)
    const relay = this.configuration.relayBeforeCommit
    // Nothing new (an empty update, or a reconnecting client's step 2 that the document already holds): do not log
    // it again. What the document holds may still be committing, so the acknowledgement waits for that.
    if (
      isEmptyUpdate(payload) ||
      (type === SYNC_STEP_2 &&
        !hasNewStructs(document, payload) &&
        Y.snapshotContainsUpdate(Y.snapshot(document), payload))
    ) {
      if (relay) this.gate(connection).hold(this.whenPersisted(document.name))
      return
    }
    if (!relay) {
      await this.configuration.updateLog.append(id, payload, context.user?.id ?? null)
      return
    }
    this.gate(connection).hold(this.persist(id, document, payload, context.user?.id ?? null))
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
    this.destroyed = true
    await this.configuration.updateLog.close()
  }
}

/**
 * Holds a connection's sync-status acknowledgements until the updates it sent before them are committed, in the
 * order they were sent; every other message passes at once.
 */
class AckGate {
  private readonly send: (message: Uint8Array) => void
  /** Settles once everything held so far is durable (rejects if it never will be: then nothing more is acknowledged). */
  private durable: Promise<void> = Promise.resolve()
  private unsettled = 0
  private queued = 0
  private chain: Promise<void> = Promise.resolve()

  constructor(connection: Connection) {
    this.send = connection.send.bind(connection)
    connection.send = (message: Uint8Array) => {
      if ((this.unsettled === 0 && this.queued === 0) || !isSyncStatus(message)) return this.send(message)
      this.queued++
      const until = this.durable
      this.chain = this.chain
        .then(() => until)
        .then(
          () => this.send(message),
          () => {},
        )
        .finally(() => {
          this.queued--
        })
    }
  }

  hold(persisted: Promise<void>): void {
    this.unsettled++
    const settle = () => {
      this.unsettled--
    }
    persisted.then(settle, settle)
    const before = this.durable
    this.durable = before.then(() => persisted)
    // A rejection (the server closing while an append still fails) is handled where acknowledgements wait on it.
    this.durable.catch(() => {})
  }
}

/** Whether an outgoing message is a sync-status acknowledgement: address (var string), then the message type. */
function isSyncStatus(message: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(message)
    decoding.readVarString(decoder)
    return decoding.readVarUint(decoder) === SYNC_STATUS
  } catch {
    return false
  }
}

/** The document a Redis extension message is about: identifier (length byte + bytes), then the address. */
function documentNameOfRedisMessage(message: Uint8Array): string | null {
  if (!message.length) return null
  try {
    const address = decoding.readVarString(decoding.createDecoder(message.subarray(1 + message[0]!)))
    const sep = address.indexOf('\0')
    return sep === -1 ? address : address.slice(0, sep)
  } catch {
    return null
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
