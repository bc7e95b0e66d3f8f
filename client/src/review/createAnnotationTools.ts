import { type Accessor, createSignal, onCleanup } from 'solid-js'
import { isTypingTarget } from '../workspace/isTypingTarget'
import { STROKE_WIDTHS, SWATCHES, type Tool, TOOLS } from './strokeShape'

export interface AnnotationTools {
  tool: Accessor<Tool>
  setTool: (tool: Tool) => void
  color: Accessor<string>
  setColor: (color: string) => void
  width: Accessor<number>
  setWidth: (width: number) => void
}

/** The drawing tool, colour and stroke width, with the tools' keyboard shortcuts (R, E, A, I, F, T). */
export function createAnnotationTools(): AnnotationTools {
  const [tool, setTool] = createSignal<Tool>('rect')
  const [color, setColor] = createSignal<string>(SWATCHES[0])
  const [width, setWidth] = createSignal<number>(STROKE_WIDTHS[1])
  const onKey = (e: KeyboardEvent) => {
    if (isTypingTarget(e.target) || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return
    const match = TOOLS.find((t) => t.key.toLowerCase() === e.key.toLowerCase())
    if (match) setTool(match.tool)
  }
  window.addEventListener('keydown', onKey)
  onCleanup(() => window.removeEventListener('keydown', onKey))
  return { tool, setTool, color, setColor, width, setWidth }
}
