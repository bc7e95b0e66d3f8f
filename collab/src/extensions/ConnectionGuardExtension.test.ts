import { CloseCode, documentName } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { type CollabFixture, createCollabFixture, waitFor } from '../createCollabFixture'
import { decodeAuthReply, encodeAuth, encodeUpdate } from '../testFrames'

let f: CollabFixture

test.before(async () => {
  f = await createCollabFixture({ COLLAB_MAX_UPDATE_BYTES: 16 * 1024, COLLAB_MAX_CONNECTIONS_PER_USER: 3 })
})
test.after(async () => {
  await f.close()
})

/** A raw socket: resolves its close code. */
function rawSocket(headers: Record<string, string> = {}) {
  const ws = new WebSocket(f.url, { headers })
  const frames: Uint8Array[] = []
  ws.on('message', (d: Buffer) => frames.push(new Uint8Array(d)))
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  const opened = new Promise((resolve) => ws.once('open', resolve))
  return { ws, frames, closed, opened }
}

async function rowCount(docId: string): Promise<number> {
  const [r] = await f.sql<{ n: number }[]>`select count(*)::int as n from doc_updates where doc_id = ${docId}`
  return r!.n
}

test('garbage frames close only that socket with 4400; the server keeps serving', async () => {
  const bystander = await f.connect(f.docs.timeline, f.sessions.editor)
  for (const garbage of [
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    crypto.getRandomValues(new Uint8Array(300)),
    new TextEncoder().encode('hello, is this a websocket?'),
  ]) {
    const s = rawSocket()
    await s.opened
    s.ws.send(garbage)
    assert.is(await s.closed, CloseCode.MALFORMED_MESSAGE)
  }
  bystander.doc.getMap('m').set('still', 'alive')
  await bystander.settled()
  bystander.destroy()
})

test('an authenticated client sending a malformed update is closed with 4400 and nothing is stored', async () => {
  const docId = f.docs.qa
  const name = documentName(docId)
  const s = rawSocket()
  await s.opened
  s.ws.send(encodeAuth(name, f.sessions.editor))
  await waitFor(() => s.frames.some((fr) => decodeAuthReply(fr).kind === 'authenticated'), 3000, 'auth')
  await waitFor(() => f.collab.hocuspocus.documents.has(name), 3000, 'load')
  const before = await rowCount(docId)
  // Structurally a sync update frame, but the update inside is truncated.
  const valid = new Y.Doc()
  valid.getMap('m').set('k', 'v'.repeat(50))
  const update = Y.encodeStateAsUpdate(valid)
  s.ws.send(encodeUpdate(name, update.slice(0, update.length - 10)))
  assert.is(await s.closed, CloseCode.MALFORMED_MESSAGE)
  assert.is(await rowCount(docId), before)
})

test('an update over COLLAB_MAX_UPDATE_BYTES closes the socket with 4413 and is not stored', async () => {
  const docId = f.docs.transcript
  const big = await f.connect(docId, f.sessions.editor)
  const before = await rowCount(docId)
  let code = 0
  big.provider.on('close', ({ event }: { event: { code: number } }) => {
    code ||= event.code
  })
  big.doc.getText('t').insert(0, 'x'.repeat(40 * 1024))
  await waitFor(() => code !== 0, 3000, 'close')
  assert.is(code, CloseCode.UPDATE_TOO_LARGE)
  big.destroy()
  assert.is(await rowCount(docId), before)
  // Small edits from others still go through.
  const small = await f.connect(docId, f.sessions.owner)
  small.doc.getText('t').insert(0, 'ok')
  await small.settled()
  assert.is(await rowCount(docId), before + 1)
  small.destroy()
})

test('a one-byte pong frame is dropped: the socket stays open, keeps syncing, and nothing is logged', async () => {
  const docId = f.docs.retell
  const name = documentName(docId)
  const s = rawSocket()
  await s.opened
  s.ws.send(encodeAuth(name, f.sessions.editor))
  await waitFor(() => s.frames.some((fr) => decodeAuthReply(fr).kind === 'authenticated'), 3000, 'auth')
  const logged: unknown[] = []
  const error = console.error
  console.error = (...args: unknown[]) => logged.push(args)
  let code = 0
  s.closed.then((c) => {
    code = c
  })
  try {
    s.ws.send(new Uint8Array([10])) // MessageType.Pong without a document name
    const edit = new Y.Doc()
    edit.getMap('m').set('after-pong', true)
    s.ws.send(encodeUpdate(name, Y.encodeStateAsUpdate(edit)))
    // The log holds it (read the rows themselves: the document's first load may append its genesis meanwhile).
    await waitFor(
      async () => {
        const stored = new Y.Doc()
        for (const r of await f.sql<{ update: Uint8Array }[]>`select update from doc_updates where doc_id = ${docId}`)
          Y.applyUpdate(stored, r.update)
        return stored.getMap('m').get('after-pong') === true
      },
      3000,
      'the update after the pong to be stored',
    )
  } finally {
    console.error = error
  }
  assert.is(code, 0, 'the socket is still open')
  assert.equal(logged, [])
  s.ws.close()
})

test('a principal beyond COLLAB_MAX_CONNECTIONS_PER_USER is refused with 4429 until one disconnects', async () => {
  const held = await Promise.all([f.docs.timeline, f.docs.qa, f.docs.retell].map((d) => f.connect(d, f.sessions.admin)))
  const refused = await f.attempt(f.docs.transcript, f.sessions.admin)
  assert.is(refused.code, CloseCode.TOO_MANY_CONNECTIONS)
  // Other people are not affected.
  assert.ok((await f.attempt(f.docs.transcript, f.sessions.owner)).synced)
  held[0]!.destroy()
  await waitFor(async () => (await f.attempt(f.docs.transcript, f.sessions.admin)).synced, 5000, 'a freed slot')
  held[1]!.destroy()
  held[2]!.destroy()
})

test.run()
