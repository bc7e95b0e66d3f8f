/**
 * The QA workflow document, written only by the server (clients open it read-only and call `qa.*` mutations).
 *
 * Root keys:
 * - `meta` (Y.Map): schemaVersion, and the `qaDocumentId` whose findings it tracks.
 * - `findings` (Y.Map): finding id -> Y.Map `{status, assignee, due, approvals}`; `approvals` is a Y.Array of
 *   `{userId, at}`; `due` is a calendar date `YYYY-MM-DD` or null.
 * - `events` (Y.Array): the append-only trail `{id, at, actor, findingId, type, from?, to?, assignee?, due?}`.
 *
 * Status flow: open -> in_progress -> ready_for_review -> approved | changes_requested; changes_requested ->
 * in_progress or straight back to ready_for_review; `block` from any open state (open, in_progress,
 * ready_for_review, changes_requested); `reopen` from any other state (blocked, approved, or one of the open
 * states after open) back to open. `transition` is the pure rule; every change goes through it.
 *
 * Every server change carries an event id (the api's idempotency key): applying the same change twice finds
 * its event in the trail and does nothing.
 */
import * as Y from 'yjs'
import { CutroomError, ErrorCode, exhaustiveSwitchError } from '../errors'
import { buildGenesis, type DocModel, type Migration, SCHEMA_VERSION_KEY } from './docModel'
import { SERVER_ORIGIN } from './origins'
import { type Problem, ProblemCode, problem } from './problem'

export const KIND = 'qa-workflow' as const
export const VERSION = 1
export const ROOTS = { meta: 'map', findings: 'map', events: 'array' } as const

export const STATUSES = ['open', 'in_progress', 'ready_for_review', 'approved', 'changes_requested', 'blocked'] as const
export type Status = (typeof STATUSES)[number]
/** The states in which work is still going on. */
export const OPEN_STATUSES: readonly Status[] = ['open', 'in_progress', 'ready_for_review', 'changes_requested']
export const ACTIONS = ['start', 'submit', 'approve', 'request_changes', 'block', 'reopen'] as const
export type Action = (typeof ACTIONS)[number]

/** Thrown when an action does not apply to the current status; `code` is INVALID_STATE. */
export class TransitionError extends CutroomError {
  constructor(
    readonly from: Status,
    readonly action: Action,
  ) {
    super(ErrorCode.INVALID_STATE, transitionMessage(from, action))
  }
}

const FROM: Record<Action, readonly Status[]> = {
  start: ['open', 'changes_requested'],
  submit: ['in_progress', 'changes_requested'],
  approve: ['ready_for_review'],
  request_changes: ['ready_for_review'],
  block: OPEN_STATUSES,
  reopen: ['in_progress', 'ready_for_review', 'approved', 'changes_requested', 'blocked'],
}

function target(action: Action): Status {
  switch (action) {
    case 'start':
      return 'in_progress'
    case 'submit':
      return 'ready_for_review'
    case 'approve':
      return 'approved'
    case 'request_changes':
      return 'changes_requested'
    case 'block':
      return 'blocked'
    case 'reopen':
      return 'open'
    default:
      return exhaustiveSwitchError(action)
  }
}

function transitionMessage(from: Status, action: Action): string {
  const allowed = FROM[action]
  return `Cannot ${action.replace('_', ' ')} a finding that is ${from.replace(/_/g, ' ')}; it must be ${allowed
    .map((s) => s.replace(/_/g, ' '))
    .join(' or ')}.`
}

/** The status after `action`, or a TransitionError saying why the action does not apply. Pure. */
export function transition(from: Status, action: Action): Status {
  if (!ACTIONS.includes(action)) throw new CutroomError(ErrorCode.BAD_INPUT, `Unknown action ${String(action)}.`)
  if (!FROM[action].includes(from)) throw new TransitionError(from, action)
  return target(action)
}

/** The actions that apply in `status` (for enabling buttons). */
export function allowedActions(status: Status): Action[] {
  return ACTIONS.filter((a) => FROM[a].includes(status))
}

export interface WorkflowEvent {
  id: string
  at: string
  actor: string
  findingId: string
  type: Action | 'assign' | 'set_due'
  from?: Status
  to?: Status
  assignee?: string | null
  due?: string | null
}
export interface FindingWorkflow {
  status: Status
  assignee: string | null
  due: string | null
  approvals: { userId: string; at: string }[]
}

export function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta')
}
export function findingsOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>('findings')
}
export function eventsOf(doc: Y.Doc): Y.Array<WorkflowEvent> {
  return doc.getArray<WorkflowEvent>('events')
}

let genesisCache: Uint8Array | null = null
export function genesis(): Uint8Array {
  genesisCache ??= buildGenesis((doc) => metaOf(doc).set(SCHEMA_VERSION_KEY, 1))
  return genesisCache
}
export const migrations: readonly Migration[] = []
export const model: DocModel = { kind: KIND, version: VERSION, genesis, migrations, validate }

export function getWorkflow(doc: Y.Doc, findingId: string): FindingWorkflow {
  const m = findingsOf(doc).get(findingId)
  if (!m) return { status: 'open', assignee: null, due: null, approvals: [] }
  return {
    status: m.get('status') as Status,
    assignee: (m.get('assignee') as string | null) ?? null,
    due: (m.get('due') as string | null) ?? null,
    approvals: (m.get('approvals') as Y.Array<{ userId: string; at: string }>).toArray(),
  }
}

export function listEvents(doc: Y.Doc, findingId?: string): WorkflowEvent[] {
  const all = eventsOf(doc).toArray()
  return findingId ? all.filter((e) => e.findingId === findingId) : all
}

function hasEvent(doc: Y.Doc, eventId: string): boolean {
  return eventsOf(doc)
    .toArray()
    .some((e) => e.id === eventId)
}

/** The finding's workflow map, created as `open` when the finding has none yet (inside a transaction). */
function ensureFinding(doc: Y.Doc, findingId: string): Y.Map<unknown> {
  let m = findingsOf(doc).get(findingId)
  if (!m) {
    m = new Y.Map<unknown>()
    m.set('status', 'open')
    m.set('assignee', null)
    m.set('due', null)
    m.set('approvals', new Y.Array())
    findingsOf(doc).set(findingId, m)
  }
  return m
}

interface Change {
  /** The event id: the api's idempotency key for this change. */
  eventId: string
  findingId: string
  actor: string
  at?: string
}

function checkChange(c: Change): void {
  for (const k of ['eventId', 'findingId', 'actor'] as const)
    if (typeof c[k] !== 'string' || !c[k] || c[k].length > 200)
      throw new CutroomError(ErrorCode.BAD_INPUT, `${k} must be a non-empty string of at most 200 characters.`)
}

/**
 * Applies a status action for a finding and appends its event, in one transaction. Refuses invalid transitions
 * (TransitionError, nothing changes). Returns `changed: false` when this event id was applied before.
 */
export function applyAction(
  doc: Y.Doc,
  change: Change & { action: Action },
  origin: unknown = SERVER_ORIGIN,
): { changed: boolean; status: Status } {
  checkChange(change)
  if (hasEvent(doc, change.eventId)) return { changed: false, status: getWorkflow(doc, change.findingId).status }
  const from = getWorkflow(doc, change.findingId).status
  const to = transition(from, change.action)
  const at = change.at ?? new Date().toISOString()
  doc.transact(() => {
    const m = ensureFinding(doc, change.findingId)
    m.set('status', to)
    const approvals = m.get('approvals') as Y.Array<{ userId: string; at: string }>
    if (change.action === 'approve') approvals.push([{ userId: change.actor, at }])
    // A new round of review starts from scratch.
    if (change.action === 'reopen' || change.action === 'request_changes') approvals.delete(0, approvals.length)
    eventsOf(doc).push([
      { id: change.eventId, at, actor: change.actor, findingId: change.findingId, type: change.action, from, to },
    ])
  }, origin)
  return { changed: true, status: to }
}

/** Assigns a finding (null unassigns). Idempotent by event id. */
export function assign(
  doc: Y.Doc,
  change: Change & { assignee: string | null },
  origin: unknown = SERVER_ORIGIN,
): boolean {
  checkChange(change)
  if (change.assignee !== null && (typeof change.assignee !== 'string' || change.assignee.length > 200))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'assignee is a user id or null.')
  if (hasEvent(doc, change.eventId)) return false
  doc.transact(() => {
    ensureFinding(doc, change.findingId).set('assignee', change.assignee)
    eventsOf(doc).push([
      {
        id: change.eventId,
        at: change.at ?? new Date().toISOString(),
        actor: change.actor,
        findingId: change.findingId,
        type: 'assign',
        assignee: change.assignee,
      },
    ])
  }, origin)
  return true
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

/** Sets a due date (`YYYY-MM-DD`) or clears it. Idempotent by event id. */
export function setDue(doc: Y.Doc, change: Change & { due: string | null }, origin: unknown = SERVER_ORIGIN): boolean {
  checkChange(change)
  if (change.due !== null && (!DATE.test(change.due) || Number.isNaN(Date.parse(change.due))))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'due is a date YYYY-MM-DD or null.')
  if (hasEvent(doc, change.eventId)) return false
  doc.transact(() => {
    ensureFinding(doc, change.findingId).set('due', change.due)
    eventsOf(doc).push([
      {
        id: change.eventId,
        at: change.at ?? new Date().toISOString(),
        actor: change.actor,
        findingId: change.findingId,
        type: 'set_due',
        due: change.due,
      },
    ])
  }, origin)
  return true
}

export function validate(doc: Y.Doc): Problem[] {
  const problems: Problem[] = []
  if (metaOf(doc).get(SCHEMA_VERSION_KEY) !== VERSION)
    problems.push(
      problem(
        ProblemCode.VERSION,
        'meta.schemaVersion',
        `Expected ${VERSION}, found ${String(metaOf(doc).get(SCHEMA_VERSION_KEY))}.`,
      ),
    )
  for (const [id, m] of findingsOf(doc).entries()) {
    if (!(m instanceof Y.Map)) {
      problems.push(problem(ProblemCode.BAD_VALUE, `findings.${id}`, 'A finding workflow is a map.'))
      continue
    }
    if (!STATUSES.includes(m.get('status') as Status))
      problems.push(
        problem(ProblemCode.BAD_VALUE, `findings.${id}.status`, `Unknown status ${String(m.get('status'))}.`),
      )
    const due = m.get('due')
    if (due !== null && (typeof due !== 'string' || !DATE.test(due)))
      problems.push(problem(ProblemCode.BAD_VALUE, `findings.${id}.due`, 'due is YYYY-MM-DD or null.'))
    if (!(m.get('approvals') instanceof Y.Array))
      problems.push(problem(ProblemCode.MISSING_ROOT, `findings.${id}.approvals`, 'Missing approvals.'))
  }
  const seen = new Set<string>()
  eventsOf(doc).forEach((e, i) => {
    if (!e || typeof e.id !== 'string' || seen.has(e.id))
      problems.push(problem(ProblemCode.DUPLICATE_ID, `events[${i}]`, 'Event id missing or repeated.'))
    else seen.add(e.id)
  })
  return problems
}
