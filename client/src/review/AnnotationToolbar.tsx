import { For, Show } from 'solid-js'
import type { AnnotationTools } from './createAnnotationTools'
import { STROKE_WIDTHS, SWATCHES, TOOLS } from './strokeShape'

/** Tool, colour and stroke-width pickers; disabled (with the reason) when drawing is not possible now. */
export function AnnotationToolbar(props: {
  tools: AnnotationTools
  disabledReason: string | null
  canUndo: boolean
  canRedo: boolean
  onUndo: () => void
  onRedo: () => void
}) {
  const t = props.tools
  return (
    <div class="annotation-toolbar" role="toolbar" aria-label="Annotation" data-testid="annotation-toolbar">
      <div class="segmented">
        <For each={TOOLS}>
          {(tool) => (
            <button
              type="button"
              classList={{ active: t.tool() === tool.tool }}
              aria-pressed={t.tool() === tool.tool}
              data-tool={tool.tool}
              disabled={props.disabledReason !== null}
              title={`${tool.label} (${tool.key})`}
              onClick={() => t.setTool(tool.tool)}
            >
              {tool.label}
            </button>
          )}
        </For>
      </div>
      <div class="swatches">
        <For each={SWATCHES}>
          {(c) => (
            <button
              type="button"
              class="swatch"
              classList={{ active: t.color() === c }}
              style={{ 'background-color': c }}
              aria-label={`Colour ${c}`}
              disabled={props.disabledReason !== null}
              onClick={() => t.setColor(c)}
            />
          )}
        </For>
      </div>
      <div class="segmented">
        <For each={STROKE_WIDTHS}>
          {(w) => (
            <button
              type="button"
              classList={{ active: t.width() === w }}
              disabled={props.disabledReason !== null}
              title={`Stroke ${w} px`}
              onClick={() => t.setWidth(w)}
            >
              <span class="stroke-sample" style={{ height: `${w}px` }} />
            </button>
          )}
        </For>
      </div>
      <button type="button" disabled={!props.canUndo} onClick={() => props.onUndo()} title="Undo (Ctrl/⌘+Z)">
        Undo
      </button>
      <button type="button" disabled={!props.canRedo} onClick={() => props.onRedo()} title="Redo (Shift+Ctrl/⌘+Z)">
        Redo
      </button>
      <Show when={props.disabledReason}>
        <span class="muted small" data-testid="annotation-disabled">
          {props.disabledReason}
        </span>
      </Show>
    </div>
  )
}
