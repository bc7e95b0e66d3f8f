import * as Y from 'yjs'
import { CutroomError, ErrorCode } from '../errors'
import type { DocumentKind } from '../roles'
import { MIGRATION_ORIGIN } from './origins'
import type { Problem } from './problem'

/** Every document keeps its model version in the root map `meta`, key `schemaVersion`. */
export const META_KEY = 'meta'
export const SCHEMA_VERSION_KEY = 'schemaVersion'

/** A step that moves a document from version `to - 1` to `to`. Runs inside one transaction. */
export interface Migration {
  readonly to: number
  readonly migrate: (doc: Y.Doc) => void
}

/**
 * What the collab server needs to know about one document kind.
 *
 * `genesis` is the initial state, written by the fixed client id 0 and frozen forever: every replica that
 * applies it produces byte-identical structs, so two replicas initializing the same empty document at the same
 * time merge into one set of root structures instead of two storylines. Later shape changes are migrations.
 */
export interface DocModel {
  readonly kind: DocumentKind
  readonly version: number
  readonly genesis: () => Uint8Array
  readonly migrations: readonly Migration[]
  readonly validate: (doc: Y.Doc) => Problem[]
}

/** Builds a genesis update by running `init` in a scratch document whose client id is 0. */
export function buildGenesis(init: (doc: Y.Doc) => void): Uint8Array {
  const scratch = new Y.Doc({ gc: false })
  scratch.clientID = 0
  scratch.transact(() => init(scratch))
  const update = Y.encodeStateAsUpdate(scratch)
  scratch.destroy()
  return update
}

/** The model version a document is at; 0 when it was never initialized. */
export function schemaVersionOf(doc: Y.Doc): number {
  const value = doc.getMap(META_KEY).get(SCHEMA_VERSION_KEY)
  return typeof value === 'number' ? value : 0
}

/** True when the document was written by a newer model than this code knows (open it read-only). */
export function isNewerThanSupported(doc: Y.Doc, model: DocModel): boolean {
  return schemaVersionOf(doc) > model.version
}

/**
 * Brings a loaded document to the model's current version: applies the genesis (a no-op when already present)
 * and runs pending migrations, each in its own transaction with `MIGRATION_ORIGIN`.
 * Only the collab server calls this, when it loads a document; clients never migrate, so a migration never
 * runs twice concurrently. Returns the versions before and after.
 */
export function prepareDocument(doc: Y.Doc, model: DocModel): { from: number; to: number } {
  const from = schemaVersionOf(doc)
  if (from > model.version)
    throw new CutroomError(
      ErrorCode.INVALID_STATE,
      `This ${model.kind} document is at model version ${from}, newer than ${model.version}; update the server.`,
    )
  if (from === 0) Y.applyUpdate(doc, model.genesis(), MIGRATION_ORIGIN)
  for (const step of [...model.migrations].sort((a, b) => a.to - b.to)) {
    if (step.to <= schemaVersionOf(doc)) continue
    doc.transact(() => {
      step.migrate(doc)
      doc.getMap(META_KEY).set(SCHEMA_VERSION_KEY, step.to)
    }, MIGRATION_ORIGIN)
  }
  return { from, to: schemaVersionOf(doc) }
}
