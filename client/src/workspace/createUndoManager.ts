import { createUserUndoManager } from '@cutroom/schema'
import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type * as Y from 'yjs'

export interface UndoState {
  manager: Y.UndoManager
  canUndo: Accessor<boolean>
  canRedo: Accessor<boolean>
  undo: () => void
  redo: () => void
}

/**
 * Per-person undo as signals: the model's user undo manager tracks only this replica's local origin, so other
 * people's edits, worker patches and server changes are never undone here. Destroyed with the owning scope.
 */
export function createUndoManager(
  scope: readonly Y.AbstractType<any>[],
  extraOrigins: unknown[] = [],
): UndoState {
  // Yjs' event generics make typed arrays and maps unassignable to AbstractType<unknown>; the manager only needs the types.
  const manager = createUserUndoManager(scope as unknown as Y.AbstractType<unknown>[], { extraOrigins, captureTimeout: 300 })
  const [canUndo, setCanUndo] = createSignal(false)
  const [canRedo, setCanRedo] = createSignal(false)
  const refresh = () => {
    setCanUndo(manager.canUndo())
    setCanRedo(manager.canRedo())
  }
  manager.on('stack-item-added', refresh)
  manager.on('stack-item-popped', refresh)
  manager.on('stack-cleared', refresh)
  onCleanup(() => manager.destroy())
  return {
    manager,
    canUndo,
    canRedo,
    undo: () => {
      manager.undo()
      refresh()
    },
    redo: () => {
      manager.redo()
      refresh()
    },
  }
}
