/**
 * Transaction origins shared by every package. A user's `Y.UndoManager` tracks only `LOCAL_ORIGIN` (see
 * `createUserUndoManager`), so changes made under any other origin — the collab server, workers, migrations,
 * repairs, remote updates — are never undone by a user.
 */
export interface DocOrigin {
  readonly kind: 'local' | 'server' | 'worker' | 'migration' | 'repair'
}

/** Edits a person makes in this replica (the accessors' default). */
export const LOCAL_ORIGIN: DocOrigin = Object.freeze({ kind: 'local' })
/** Changes the collab server or the api applies (e.g. qa-workflow mutations, version restores). */
export const SERVER_ORIGIN: DocOrigin = Object.freeze({ kind: 'server' })
/** Artifact references patched in from worker results. */
export const WORKER_PATCH_ORIGIN: DocOrigin = Object.freeze({ kind: 'worker' })
/** Schema migrations run when the collab server loads a document. */
export const MIGRATION_ORIGIN: DocOrigin = Object.freeze({ kind: 'migration' })
/** Invariant repairs after concurrent merges (dangling anchors, duplicate ids). */
export const REPAIR_ORIGIN: DocOrigin = Object.freeze({ kind: 'repair' })

/** True for origins that are not a person's edit: server, worker, migration and repair changes. */
export function isSystemOrigin(origin: unknown): boolean {
  return (
    origin === SERVER_ORIGIN ||
    origin === WORKER_PATCH_ORIGIN ||
    origin === MIGRATION_ORIGIN ||
    origin === REPAIR_ORIGIN
  )
}
