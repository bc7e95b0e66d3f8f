import * as Y from 'yjs'
import { LOCAL_ORIGIN } from './origins'

/**
 * A per-user undo manager: it tracks only `LOCAL_ORIGIN` (plus any extra local origins, e.g. the Tiptap
 * sync plugin key), so server, worker and remote changes are never undone.
 */
export function createUserUndoManager(
  // biome-ignore lint/suspicious/noExplicitAny: Y.UndoManager itself takes AbstractType<any>
  scope: Y.AbstractType<any> | Y.AbstractType<any>[],
  options: { extraOrigins?: unknown[]; captureTimeout?: number } = {},
): Y.UndoManager {
  return new Y.UndoManager(scope, {
    trackedOrigins: new Set<unknown>([LOCAL_ORIGIN, ...(options.extraOrigins ?? [])]),
    captureTimeout: options.captureTimeout ?? 500,
  })
}
