import { Editor, type EditorOptions } from '@tiptap/core'
import { type Accessor, createEffect, createSignal, onCleanup, untrack } from 'solid-js'

/**
 * A Tiptap editor mounted into `element()` once it exists; destroyed with the owning scope.
 * `editable` is applied live (read-only roles and ended connections).
 */
export function createTiptapEditor(
  element: Accessor<HTMLElement | undefined>,
  options: () => Partial<EditorOptions>,
  editable: Accessor<boolean>,
): Accessor<Editor | null> {
  const [editor, setEditor] = createSignal<Editor | null>(null)
  createEffect(() => {
    const el = element()
    if (!el) return
    // Only the element is tracked: creating the editor must not re-run (and so destroy) itself.
    const instance = untrack(() => new Editor({ ...options(), element: el, editable: editable() }))
    setEditor(instance)
    onCleanup(() => {
      setEditor(null)
      instance.destroy()
    })
  })
  createEffect(() => {
    const instance = editor()
    if (instance && instance.isEditable !== editable()) instance.setEditable(editable())
  })
  return editor
}

/**
 * `onMouseDown` for an editor's toolbar: a click on a toolbar button must not move the focus out of the editor.
 * Tiptap's `focus()` command gives it back only on the next animation frame, and a key typed before then goes to
 * the button and is lost (the first letter after "+ Narration").
 */
export function keepEditorFocus(event: MouseEvent): void {
  if (event.target instanceof Element && event.target.closest('button')) event.preventDefault()
}
