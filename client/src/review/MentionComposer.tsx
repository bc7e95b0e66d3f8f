import { qa } from '@cutroom/schema'
import { type Accessor, createMemo, createSignal, For, Show } from 'solid-js'

interface Member {
  id: string
  name: string
}

/** The `@query` being typed just before the caret, if any. */
function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)@([^\s@]{0,40})$/.exec(text.slice(0, caret))
  return m ? { start: caret - m[2]!.length - 1, query: m[2]! } : null
}

/**
 * A comment box with @mention autocompletion from the organization's members. The text keeps `@Name` for
 * readers; `onSubmit` gets the ids of the people picked whose `@Name` is still in the text.
 */
export function MentionComposer(props: {
  members: Accessor<Member[]>
  onSubmit: (text: string, mentions: string[]) => boolean
}) {
  const [text, setText] = createSignal('')
  const [caret, setCaret] = createSignal(0)
  const [picked, setPicked] = createSignal<Member[]>([])
  const [active, setActive] = createSignal(0)
  let area!: HTMLTextAreaElement
  const query = createMemo(() => mentionQuery(text(), caret()))
  const options = createMemo(() => {
    const q = query()
    if (!q) return []
    const needle = q.query.toLowerCase()
    return props
      .members()
      .filter(
        (m) =>
          m.name
            .toLowerCase()
            .split(/\s+/)
            .some((w) => w.startsWith(needle)) || m.name.toLowerCase().startsWith(needle),
      )
      .slice(0, 8)
  })
  const pick = (m: Member) => {
    const q = query()
    if (!q) return
    const before = text().slice(0, q.start)
    const after = text().slice(caret())
    const inserted = `@${m.name} `
    setText(before + inserted + after)
    const at = before.length + inserted.length
    setCaret(at)
    setPicked((p) => (p.some((x) => x.id === m.id) ? p : [...p, m]))
    queueMicrotask(() => {
      area.focus()
      area.setSelectionRange(at, at)
    })
  }
  const submit = () => {
    const t = text().trim()
    if (!t) return
    const mentions = picked()
      .filter((m) => t.includes(`@${m.name}`))
      .map((m) => m.id)
    if (props.onSubmit(t, mentions)) {
      setText('')
      setPicked([])
      setCaret(0)
    }
  }
  return (
    <form
      class="mention-composer"
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      <textarea
        ref={area}
        aria-label="Comment"
        placeholder="Comment… type @ to mention someone"
        maxLength={qa.MAX_COMMENT_LENGTH}
        rows={2}
        value={text()}
        onInput={(e) => {
          setText(e.currentTarget.value)
          setCaret(e.currentTarget.selectionStart ?? e.currentTarget.value.length)
          setActive(0)
        }}
        onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onKeyDown={(e) => {
          const list = options()
          if (list.length) {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault()
              setActive((i) => (i + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length)
              return
            }
            if (e.key === 'Enter' || e.key === 'Tab') {
              e.preventDefault()
              pick(list[Math.min(active(), list.length - 1)]!)
              return
            }
          }
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
            e.preventDefault()
            submit()
          }
        }}
      />
      <Show when={options().length > 0}>
        <div class="mention-options" role="listbox" aria-label="Mention">
          <For each={options()}>
            {(m, i) => (
              <div
                role="option"
                tabIndex={-1}
                aria-selected={i() === active()}
                classList={{ active: i() === active() }}
                onMouseDown={(e) => {
                  e.preventDefault()
                  pick(m)
                }}
              >
                {m.name}
              </div>
            )}
          </For>
        </div>
      </Show>
      <button type="submit" class="small" disabled={!text().trim()}>
        Comment
      </button>
    </form>
  )
}
