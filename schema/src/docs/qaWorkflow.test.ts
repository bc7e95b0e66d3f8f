import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { CutroomError } from '../errors'
import { canonicalJson } from './canonicalJson'
import { createReplicaNetwork } from './createReplicaNetwork'
import { prepareDocument } from './docModel'
import * as qaWorkflow from './qaWorkflow'
import { seededRandom } from './seededRandom'

function fresh(): Y.Doc {
  const doc = new Y.Doc()
  prepareDocument(doc, qaWorkflow.model)
  return doc
}

test('the status flow: open -> in progress -> ready for review -> approved | changes requested', () => {
  const t = qaWorkflow.transition
  assert.is(t('open', 'start'), 'in_progress')
  assert.is(t('in_progress', 'submit'), 'ready_for_review')
  assert.is(t('ready_for_review', 'approve'), 'approved')
  assert.is(t('ready_for_review', 'request_changes'), 'changes_requested')
  assert.is(t('changes_requested', 'start'), 'in_progress')
  for (const s of qaWorkflow.OPEN_STATUSES) assert.is(t(s, 'block'), 'blocked')
  assert.is(t('blocked', 'reopen'), 'open')
  assert.is(t('approved', 'reopen'), 'open')
})

test('invalid transitions are refused with a clear error', () => {
  const cases: [qaWorkflow.Status, qaWorkflow.Action][] = [
    ['open', 'approve'],
    ['in_progress', 'approve'],
    ['approved', 'block'],
    ['blocked', 'start'],
    ['open', 'reopen'],
    ['approved', 'submit'],
  ]
  for (const [from, action] of cases) {
    try {
      qaWorkflow.transition(from, action)
      assert.unreachable(`${from} -> ${action}`)
    } catch (e) {
      assert.instance(e, qaWorkflow.TransitionError)
      assert.is((e as CutroomError).code, 'INVALID_STATE')
      assert.match((e as Error).message, /Cannot/)
    }
  }
  assert.match(
    (() => {
      try {
        qaWorkflow.transition('open', 'approve')
      } catch (e) {
        return (e as Error).message
      }
      return ''
    })(),
    'must be ready for review',
  )
  assert.equal(qaWorkflow.allowedActions('ready_for_review'), ['approve', 'request_changes', 'block', 'reopen'])
})

test('actions update the finding and append events; the same event twice changes nothing', () => {
  const doc = fresh()
  const base = { findingId: 'f1', actor: 'u1', at: '2026-01-01T00:00:00Z' }
  assert.equal(qaWorkflow.applyAction(doc, { ...base, eventId: 'e1', action: 'start' }), {
    changed: true,
    status: 'in_progress',
  })
  qaWorkflow.applyAction(doc, { ...base, eventId: 'e2', action: 'submit' })
  qaWorkflow.assign(doc, { ...base, eventId: 'e3', assignee: 'u7' })
  qaWorkflow.setDue(doc, { ...base, eventId: 'e4', due: '2026-02-01' })
  qaWorkflow.applyAction(doc, { ...base, actor: 'boss', eventId: 'e5', action: 'approve' })
  let updates = 0
  doc.on('update', () => updates++)
  assert.equal(qaWorkflow.applyAction(doc, { ...base, actor: 'boss', eventId: 'e5', action: 'approve' }), {
    changed: false,
    status: 'approved',
  })
  assert.not.ok(qaWorkflow.assign(doc, { ...base, eventId: 'e3', assignee: 'u7' }))
  assert.is(updates, 0)
  assert.equal(qaWorkflow.getWorkflow(doc, 'f1'), {
    status: 'approved',
    assignee: 'u7',
    due: '2026-02-01',
    approvals: [{ userId: 'boss', at: base.at }],
  })
  assert.equal(
    qaWorkflow.listEvents(doc, 'f1').map((e) => e.type),
    ['start', 'submit', 'assign', 'set_due', 'approve'],
  )
  assert.equal(qaWorkflow.validate(doc), [])
})

test('a refused transition changes nothing', () => {
  const doc = fresh()
  const before = Y.encodeStateAsUpdate(doc)
  try {
    qaWorkflow.applyAction(doc, { findingId: 'f', actor: 'u', eventId: 'e', action: 'approve' })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, qaWorkflow.TransitionError)
  }
  try {
    qaWorkflow.setDue(doc, { findingId: 'f', actor: 'u', eventId: 'e', due: 'tomorrow' })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, CutroomError)
  }
  assert.equal(Y.encodeStateAsUpdate(doc), before)
})

for (const seed of [41, 42]) {
  test(`randomized convergence, seed ${seed}: statuses stay valid and the trail keeps every event`, () => {
    const r = seededRandom(seed)
    const net = createReplicaNetwork(2, r, qaWorkflow.genesis())
    let applied = 0
    for (let round = 0; round < 60; round++) {
      for (const doc of net.docs) {
        try {
          qaWorkflow.applyAction(doc, {
            findingId: `f${r.int(0, 3)}`,
            actor: 'u',
            eventId: `e-${doc.clientID}-${round}`,
            action: r.pick(qaWorkflow.ACTIONS),
          })
          applied++
        } catch (e) {
          if (!(e instanceof qaWorkflow.TransitionError)) throw e
        }
      }
      net.deliverSome(r.int(0, 4))
    }
    net.flush()
    const json = canonicalJson(net.docs[0]!, qaWorkflow.ROOTS)
    for (const d of net.docs) {
      assert.ok(canonicalJson(d, qaWorkflow.ROOTS) === json, `replica ${d.clientID} differs`)
      assert.equal(qaWorkflow.validate(d), [])
      assert.is(qaWorkflow.listEvents(d).length, applied)
    }
    net.destroy()
  })
}

test.run()
