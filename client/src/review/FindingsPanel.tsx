import {
  CloseCode,
  QA_ASSIGNEE_CHANGES,
  QA_WORKFLOW_ROLES,
  type QaWorkflowChange,
  qa,
  qaWorkflow,
  type Role,
} from '@cutroom/schema'
import { createMemo, createSignal, For, onCleanup, Show } from 'solid-js'
import * as Y from 'yjs'
import { api, apiErrorCode, apiErrorMessage } from '../lib/api'
import { search } from '../lib/router'
import { createDocSignal } from '../workspace/createDocSignal'
import { formatTimecode } from '../workspace/timecode'
import { MentionComposer } from './MentionComposer'
import type { ReviewRoom } from './ReviewRoom'
import './findingsPanel.css'

const ACTION_LABEL: Record<qaWorkflow.Action, string> = {
  start: 'Start',
  submit: 'Submit for review',
  approve: 'Approve',
  request_changes: 'Request changes',
  block: 'Block',
  reopen: 'Reopen',
}
const STATUS_LABEL: Record<qaWorkflow.Status, string> = {
  open: 'Open',
  in_progress: 'In progress',
  ready_for_review: 'Ready for review',
  approved: 'Approved',
  changes_requested: 'Changes requested',
  blocked: 'Blocked',
}
const NOTE_FORMATS = ['csv', 'edl', 'fcpxml'] as const

/** Today as YYYY-MM-DD in UTC, the calendar the server's `overdue` uses. */
const todayUtc = () => new Date().toISOString().slice(0, 10)

/** A due date before today on a finding that is not approved. */
export function isOverdue(w: qaWorkflow.FindingWorkflow, today = todayUtc()): boolean {
  return w.due !== null && w.due < today && w.status !== 'approved'
}

/** Whether `role` (or being the assignee) allows a workflow change; the server checks again. */
function mayChange(room: ReviewRoom, change: QaWorkflowChange, assignee: string | null): boolean {
  if ((QA_WORKFLOW_ROLES[change] as readonly string[]).includes(room.role)) return true
  return room.role !== 'viewer' && QA_ASSIGNEE_CHANGES.includes(change) && assignee === room.user.id
}

/**
 * The review's findings (live from the qa document) with their workflow state (live from the read-only qa-workflow
 * document), frame-diff suggestions to accept or dismiss, workflow actions through `qa.*`, a thread per finding with
 * @mentions, edits of title, severity and frame range, and notes exports. Self-contained: mount it anywhere a
 * ReviewRoom exists. Up/Down move between findings, Enter seeks to the selected one.
 */
export function FindingsPanel(props: { room: ReviewRoom }) {
  const room = props.room
  const findings = createDocSignal(room.qa.doc, qa.listFindings)
  const workflowOf = createDocSignal(room.workflow.doc, (doc) => (id: string) => qaWorkflow.getWorkflow(doc, id))
  const listed = createMemo(() => findings().filter((f) => !f.suggestion || f.suggestion.status === 'accepted'))
  const suggested = createMemo(() => findings().filter((f) => f.suggestion?.status === 'suggested'))
  const nameOf = (id: string | null) => room.nameOf(id)
  // Selection is the room's, shared with the annotation layer; `?finding=<id>` selects one on open.
  const selectedId = room.selectedFinding
  const setSelectedId = room.selectFinding
  const fromUrl = new URLSearchParams(search()).get('finding')
  if (fromUrl && !selectedId()) setSelectedId(fromUrl)
  const selected = createMemo(() => listed().find((f) => f.id === selectedId()) ?? null)
  const [error, setError] = createSignal<{ code: string | null; message: string } | null>(null)
  const [busy, setBusy] = createSignal(false)

  // This panel's own writes, so a change the server refuses can be taken back before the provider resends it.
  const origin = { source: 'findings-panel' }
  const undo = new Y.UndoManager([qa.findingsOf(room.qa.doc)], {
    trackedOrigins: new Set([origin]),
    captureTimeout: 0,
  })
  onCleanup(() => undo.destroy())
  // The comment written last and not yet acknowledged: a refused one is deleted outright (not undone, which would
  // keep its text for a redo and send it along as a deleted item).
  let pendingComment: { findingId: string; id: string } | null = null
  const write = (change: (doc: Y.Doc) => unknown): boolean => {
    setError(null)
    try {
      room.qa.doc.transact(() => change(room.qa.doc), origin)
      return true
    } catch (e) {
      setError({ code: (e as { code?: string }).code ?? null, message: (e as Error).message })
      return false
    }
  }
  const comment = (findingId: string, text: string, mentions: string[]): boolean =>
    write((doc) => {
      const id = qa.addComment(doc, findingId, { author: room.user.id, text, mentions }, origin)
      pendingComment = { findingId, id }
    })
  const onUnsynced = ({ number }: { number: number }) => {
    if (number === 0) pendingComment = null
  }
  const onClose = ({ event }: { event: { code: number; reason?: string } }) => {
    if (event.code !== CloseCode.INVALID_UPDATE) return
    const refused = pendingComment
    pendingComment = null
    if (refused) {
      const thread = qa.findingsOf(room.qa.doc).get(refused.findingId)?.get('thread') as Y.Array<qa.Comment> | undefined
      const index = thread?.toArray().findIndex((c) => c.id === refused.id) ?? -1
      if (thread && index >= 0) room.qa.doc.transact(() => thread.delete(index, 1), { source: 'refused' })
    } else undo.undo()
    undo.clear()
    setError({ code: 'INVALID_UPDATE', message: event.reason || 'The server refused the change.' })
  }
  room.qa.provider.on('close', onClose)
  room.qa.provider.on('unsyncedChanges', onUnsynced)
  onCleanup(() => {
    room.qa.provider.off('close', onClose)
    room.qa.provider.off('unsyncedChanges', onUnsynced)
  })

  const call = async (work: () => Promise<unknown>) => {
    setError(null)
    setBusy(true)
    try {
      await work()
    } catch (e) {
      setError({ code: apiErrorCode(e), message: apiErrorMessage(e) })
    } finally {
      setBusy(false)
    }
  }

  const select = (id: string, seek: boolean) => {
    setSelectedId(id)
    const f = listed().find((x) => x.id === id)
    if (f && seek) room.seek(f.frame)
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).closest('input, textarea, select, [contenteditable]')) return
    const list = listed()
    if (!list.length) return
    const at = list.findIndex((f) => f.id === selectedId())
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      const next = e.key === 'ArrowDown' ? Math.min(list.length - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1)
      setSelectedId(list[next]!.id)
      document.querySelector(`[data-finding-id="${CSS.escape(list[next]!.id)}"]`)?.scrollIntoView({ block: 'nearest' })
    } else if (e.key === 'Enter' && at >= 0) {
      e.preventDefault()
      room.seek(list[at]!.frame)
    }
  }

  const tc = (frame: number) => formatTimecode(frame, room.version.fps)
  const range = (f: qa.Finding) => (f.frameEnd > f.frame ? `${tc(f.frame)}–${tc(f.frameEnd)}` : tc(f.frame))

  const exportNotes = (format: (typeof NOTE_FORMATS)[number]) =>
    call(async () => {
      const notes = await api.qa.exportNotes.query({ reviewId: room.reviewId, format })
      const url = URL.createObjectURL(new Blob([notes.text], { type: notes.contentType }))
      const a = document.createElement('a')
      a.href = url
      a.download = notes.filename
      document.body.append(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 1000)
      room.notify(`Exported ${notes.count} findings as ${format.toUpperCase()}.`)
    })

  return (
    <section class="findings-panel" aria-label="Findings" data-testid="findings-panel">
      <header class="findings-header">
        <h2>Findings</h2>
        <span class="muted" data-testid="findings-count">
          {listed().length}
        </span>
        <span class="spacer" />
        <For each={NOTE_FORMATS}>
          {(format) => (
            <button type="button" class="ghost small" disabled={busy()} onClick={() => exportNotes(format)}>
              {format.toUpperCase()}
            </button>
          )}
        </For>
      </header>

      <Show when={error()}>
        {(e) => (
          <p class="findings-error" role="alert" data-testid="findings-error" data-code={e().code ?? ''}>
            {e().message}
            <button type="button" class="ghost small" aria-label="Dismiss" onClick={() => setError(null)}>
              ×
            </button>
          </p>
        )}
      </Show>

      <Show when={!room.readOnly()}>
        <NewFindingForm room={room} write={write} onCreated={(id) => select(id, false)} />
      </Show>

      <div class="findings-list" role="listbox" tabIndex={0} aria-label="Findings list" onKeyDown={onKeyDown}>
        <For each={listed()} fallback={<p class="muted empty">No findings yet.</p>}>
          {(f) => {
            const w = () => workflowOf()(f.id)
            return (
              // biome-ignore lint/a11y/useKeyWithClickEvents: the list handles the keyboard
              <div
                role="option"
                tabIndex={-1}
                aria-selected={selectedId() === f.id}
                classList={{ finding: true, selected: selectedId() === f.id, overdue: isOverdue(w()) }}
                data-finding-id={f.id}
                data-status={w().status}
                onClick={() => select(f.id, true)}
              >
                <span class={`severity severity-${f.severity}`}>{f.severity}</span>
                <span class="finding-title">{f.title}</span>
                <span class="mono finding-range">{range(f)}</span>
                <span class="finding-status" data-testid="finding-status">
                  {STATUS_LABEL[w().status]}
                </span>
                <Show when={w().assignee}>
                  <span class="finding-assignee">{nameOf(w().assignee)}</span>
                </Show>
                <Show when={w().due}>
                  <span class="finding-due">
                    {isOverdue(w()) ? 'Overdue ' : 'Due '}
                    {w().due}
                  </span>
                </Show>
                <Show when={f.resolved}>
                  <span class="finding-resolved">Resolved</span>
                </Show>
                <Show when={f.thread.length > 0}>
                  <span class="muted">{f.thread.length} 💬</span>
                </Show>
              </div>
            )
          }}
        </For>
      </div>

      <Show when={suggested().length > 0}>
        <section class="suggestions" aria-label="Suggested findings">
          <h3>Suggested by frame diff</h3>
          <ul>
            <For each={suggested()}>
              {(f) => (
                <li class="suggestion" data-finding-id={f.id}>
                  <button type="button" class="link" onClick={() => room.seek(f.frame)}>
                    <span class="mono">{range(f)}</span> {f.title}
                  </button>
                  <span class="muted">SSIM {f.suggestion!.score.toFixed(3)}</span>
                  <Show when={!room.readOnly()}>
                    <button
                      type="button"
                      class="small"
                      onClick={() => write((doc) => qa.resolveSuggestion(doc, f.id, 'accepted', origin))}
                    >
                      Accept
                    </button>
                    <button
                      type="button"
                      class="ghost small"
                      onClick={() => write((doc) => qa.resolveSuggestion(doc, f.id, 'dismissed', origin))}
                    >
                      Dismiss
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </section>
      </Show>

      <Show when={selected()} keyed>
        {(f) => (
          <FindingDetail
            room={room}
            finding={() => listed().find((x) => x.id === f.id) ?? f}
            workflow={() => workflowOf()(f.id)}
            nameOf={nameOf}
            write={write}
            comment={comment}
            call={call}
            busy={busy}
            range={range}
            origin={origin}
          />
        )}
      </Show>
    </section>
  )
}

function NewFindingForm(props: {
  room: ReviewRoom
  write: (c: (d: Y.Doc) => unknown) => boolean
  onCreated: (id: string) => void
}) {
  const [title, setTitle] = createSignal('')
  const [severity, setSeverity] = createSignal<qa.Severity>('medium')
  const room = props.room
  return (
    <form
      class="new-finding"
      onSubmit={(e) => {
        e.preventDefault()
        const t = title().trim()
        if (!t) return
        let id = ''
        const ok = props.write((doc) => {
          id = qa.addFinding(doc, {
            title: t,
            severity: severity(),
            versionA: room.compareTo?.assetId ?? room.version.assetId,
            versionB: room.version.assetId,
            frame: room.frame(),
            author: room.user.id,
          })
        })
        if (ok) {
          setTitle('')
          props.onCreated(id)
        }
      }}
    >
      <input
        placeholder={`New finding at ${formatTimecode(room.frame(), room.version.fps)}`}
        aria-label="New finding title"
        maxLength={qa.MAX_TITLE_LENGTH}
        value={title()}
        onInput={(e) => setTitle(e.currentTarget.value)}
      />
      <select
        aria-label="New finding severity"
        value={severity()}
        onChange={(e) => setSeverity(e.currentTarget.value as qa.Severity)}
      >
        <For each={qa.SEVERITIES}>{(s) => <option value={s}>{s}</option>}</For>
      </select>
      <button type="submit" disabled={!title().trim()}>
        Add finding
      </button>
    </form>
  )
}

function FindingDetail(props: {
  room: ReviewRoom
  finding: () => qa.Finding
  workflow: () => qaWorkflow.FindingWorkflow
  nameOf: (id: string | null) => string
  write: (c: (d: Y.Doc) => unknown) => boolean
  comment: (findingId: string, text: string, mentions: string[]) => boolean
  call: (work: () => Promise<unknown>) => Promise<void>
  busy: () => boolean
  range: (f: qa.Finding) => string
  origin: unknown
}) {
  const room = props.room
  const f = props.finding
  const w = props.workflow
  const role = room.role as Role
  const [title, setTitle] = createSignal(f().title)
  const [severity, setSeverity] = createSignal<qa.Severity>(f().severity)
  const [frame, setFrame] = createSignal(String(f().frame))
  const [frameEnd, setFrameEnd] = createSignal(String(f().frameEnd))
  const actions = () => qaWorkflow.ACTIONS.filter((a) => mayChange(room, a, w().assignee))
  const applies = (a: qaWorkflow.Action) => qaWorkflow.allowedActions(w().status).includes(a)
  const mutation = { reviewId: room.reviewId, findingId: f().id }

  return (
    <article class="finding-detail" aria-label="Selected finding" data-testid="finding-detail">
      <Show
        when={!room.readOnly()}
        fallback={
          <h3>
            {f().title} <span class={`severity severity-${f().severity}`}>{f().severity}</span>
          </h3>
        }
      >
        <form
          class="finding-edit"
          onSubmit={(e) => {
            e.preventDefault()
            const start = Number(frame())
            const end = Number(frameEnd())
            props.write((doc) =>
              qa.updateFinding(doc, f().id, {
                title: title().trim(),
                severity: severity(),
                frame: start,
                frameEnd: end,
              }),
            )
          }}
        >
          <input
            aria-label="Title"
            value={title()}
            maxLength={qa.MAX_TITLE_LENGTH}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          <select
            aria-label="Severity"
            value={severity()}
            onChange={(e) => setSeverity(e.currentTarget.value as qa.Severity)}
          >
            <For each={qa.SEVERITIES}>{(s) => <option value={s}>{s}</option>}</For>
          </select>
          <label>
            From frame
            <input
              type="number"
              min="0"
              step="1"
              aria-label="From frame"
              value={frame()}
              onInput={(e) => setFrame(e.currentTarget.value)}
            />
          </label>
          <label>
            to
            <input
              type="number"
              min="0"
              step="1"
              aria-label="To frame"
              value={frameEnd()}
              onInput={(e) => setFrameEnd(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Save</button>
        </form>
      </Show>
      <p class="mono muted" data-testid="finding-timecode">
        {props.range(f())} · frames {f().frame}–{f().frameEnd} at {room.version.fps.num}/{room.version.fps.den} fps
      </p>

      <fieldset class="workflow" aria-label="Workflow">
        <span class="finding-status" data-testid="detail-status">
          {STATUS_LABEL[w().status]}
        </span>
        <For each={actions()}>
          {(a) => (
            <button
              type="button"
              class="small"
              data-action={a}
              disabled={props.busy() || !applies(a)}
              title={applies(a) ? undefined : `Not possible while ${STATUS_LABEL[w().status].toLowerCase()}`}
              onClick={() => props.call(() => api.qa.transition.mutate({ ...mutation, action: a }))}
            >
              {ACTION_LABEL[a]}
            </button>
          )}
        </For>
      </fieldset>

      <div class="workflow-fields">
        <label>
          Assignee
          <Show
            when={mayChange(room, 'assign', null)}
            fallback={<span data-testid="assignee">{props.nameOf(w().assignee) || 'Unassigned'}</span>}
          >
            <select
              aria-label="Assignee"
              value={w().assignee ?? ''}
              disabled={props.busy()}
              onChange={(e) => {
                const assigneeId = e.currentTarget.value || null
                void props.call(() => api.qa.assign.mutate({ ...mutation, assigneeId }))
              }}
            >
              <option value="">Unassigned</option>
              <For each={room.members()}>{(m) => <option value={m.id}>{m.name}</option>}</For>
            </select>
          </Show>
        </label>
        <label>
          Due
          <Show
            when={mayChange(room, 'setDue', null)}
            fallback={<span data-testid="due">{w().due ?? 'No due date'}</span>}
          >
            <input
              type="date"
              aria-label="Due date"
              value={w().due ?? ''}
              disabled={props.busy()}
              onChange={(e) => {
                const due = e.currentTarget.value || null
                void props.call(() => api.qa.setDue.mutate({ ...mutation, due }))
              }}
            />
          </Show>
        </label>
        <Show when={isOverdue(w())}>
          <span class="overdue-badge">Overdue</span>
        </Show>
        <Show when={role === 'viewer'}>
          <span class="muted">Viewers follow the workflow; they cannot change it.</span>
        </Show>
      </div>

      <section class="thread" aria-label="Thread">
        <h4>
          Thread
          <Show when={f().resolved}>
            {(r) => (
              <span class="finding-resolved" data-testid="thread-resolved">
                Resolved by {props.nameOf(r().by)}
              </span>
            )}
          </Show>
        </h4>
        <ul>
          <For each={f().thread} fallback={<li class="muted">No comments yet.</li>}>
            {(c) => (
              <li class="comment">
                <strong>{props.nameOf(c.author)}</strong> <time class="muted">{new Date(c.at).toLocaleString()}</time>
                <p>{c.text}</p>
              </li>
            )}
          </For>
        </ul>
        <Show when={!room.readOnly()}>
          <MentionComposer
            members={room.members}
            onSubmit={(text, mentions) => props.comment(f().id, text, mentions)}
          />
          <button
            type="button"
            class="ghost small"
            onClick={() =>
              props.write((doc) => qa.setResolved(doc, f().id, f().resolved ? null : room.user.id, props.origin))
            }
          >
            {f().resolved ? 'Reopen thread' : 'Resolve'}
          </button>
        </Show>
      </section>
    </article>
  )
}
