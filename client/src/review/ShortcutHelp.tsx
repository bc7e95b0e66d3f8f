import { For } from 'solid-js'
import { TOOLS } from './strokeShape'

const SHORTCUTS: [string, string][] = [
  ['Space', 'play / pause'],
  ['J / K / L', 'reverse (by stepping) / pause / play forward; again for 2× and 4×'],
  ['← / →', 'one frame'],
  ['Shift + ← / →', '10 frames'],
  ['N / Shift + N', 'next / previous worst frame'],
  ['1 – 5', 'side by side, wipe, difference, onion skin, A/B toggle'],
  ['`', 'flip between A and B (A/B toggle)'],
  ['Ctrl/⌘ + Z, Shift + Ctrl/⌘ + Z', 'undo / redo your own annotations'],
  ...TOOLS.map((t): [string, string] => [t.key, `${t.label.toLowerCase()} tool (paused)`]),
  ['?', 'this help'],
]

/** The review room's keyboard shortcuts. */
export function ShortcutHelp(props: { onClose: () => void }) {
  return (
    <div class="shortcut-help" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcut-help">
      <header>
        <strong>Keyboard shortcuts</strong>
        <button type="button" onClick={() => props.onClose()} aria-label="Close">
          ×
        </button>
      </header>
      <dl>
        <For each={SHORTCUTS}>
          {([keys, what]) => (
            <>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </>
          )}
        </For>
      </dl>
    </div>
  )
}
