import { CloseCode, DOCUMENT_KINDS, documentAccess, qa, ROLES } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { type CollabFixture, createCollabFixture, createSession, waitFor } from '../createCollabFixture'
import { decodeAuthReply, encodeAuth } from '../testFrames'
import { CROSS_SITE_REASON } from './AuthExtension'

let f: CollabFixture

test.before(async () => {
  f = await createCollabFixture()
})
test.after(async () => {
  await f.close()
})

test('every role gets read or write on every document kind per the permission matrix (sessions and API keys)', async () => {
  for (const role of ROLES) {
    for (const kind of DOCUMENT_KINDS) {
      for (const [via, token] of [
        ['session', f.sessions[role]],
        ['api key', f.apiKeys[role]],
      ] as const) {
        const result = await f.attempt(f.docs[kind], token)
        assert.ok(result.synced, `${role} via ${via} on ${kind}: ${JSON.stringify(result)}`)
        assert.is(result.readOnly, documentAccess(role, kind) === 'read', `${role} via ${via} on ${kind} read-only`)
      }
    }
  }
})

test("a read-only connection's edits never reach other people nor the database", async () => {
  const docId = f.docs.timeline
  const viewer = await f.connect(docId, f.sessions.viewer)
  const editor = await f.connect(docId, f.sessions.editor)
  const before = await f.sql`select count(*)::int as n from doc_updates where doc_id = ${docId}`
  viewer.doc.getMap('probe').set('viewer', 'was here')
  editor.doc.getMap('probe').set('editor', 'was here')
  await editor.settled()
  await waitFor(() => viewer.doc.getMap('probe').get('editor') === 'was here', 3000, 'editor edit at viewer')
  await new Promise((r) => setTimeout(r, 200))
  assert.is(editor.doc.getMap('probe').get('viewer'), undefined)
  assert.ok(viewer.provider.unsyncedChanges > 0, 'the viewer edit is never acknowledged')
  const rows = await f.sql<{ update: Uint8Array }[]>`select update from doc_updates where doc_id = ${docId}`
  assert.is(rows.length, before[0]!.n + 1, 'only the editor update is stored')
  viewer.destroy()
  editor.destroy()
})

test('unknown documents, malformed names and other tenants close with 4403', async () => {
  for (const name of [crypto.randomUUID(), 'doc:not-a-uuid', 'timeline', f.otherTenant.docId]) {
    const result = await f.attempt(name, f.sessions.owner)
    assert.not.ok(result.synced, name)
    assert.is(result.code, CloseCode.FORBIDDEN, name)
  }
  // The other tenant's owner is refused here in the same way.
  const theirs = await f.attempt(f.docs.timeline, f.otherTenant.session)
  assert.is(theirs.code, CloseCode.FORBIDDEN)
  assert.ok((f.collab.metrics.connectionsRefused[CloseCode.FORBIDDEN] ?? 0) >= 5, 'refusals are counted')
})

test('missing, bad, expired and revoked credentials close with 4401', async () => {
  const [owner] = await f.sql<{ id: string }[]>`select id from users where email = 'owner@example.com'`
  const expired = await createSession(f.sql, owner!.id, -1000)
  const revokedKey = f.apiKeys.reviewer
  await f.sql`update api_keys set revoked_at = now() where id = ${revokedKey.split('_')[1]!}`
  const wrongSecret = `${f.apiKeys.editor.slice(0, -4)}aaaa`
  for (const token of ['', 'nonsense', expired, revokedKey, wrongSecret]) {
    const result = await f.attempt(f.docs.timeline, token)
    assert.is(result.code, CloseCode.UNAUTHORIZED, `token ${JSON.stringify(token)}`)
  }
})

test('a browser without a token is authorized by the session cookie of the upgrade request', async () => {
  const ws = new WebSocket(f.url, { headers: { cookie: `theme=dark; cutroom_session=${f.sessions.editor}` } })
  await new Promise((r) => ws.once('open', r))
  const name = `doc:${f.docs.transcript}`
  const replies: Uint8Array[] = []
  ws.on('message', (data: Buffer) => replies.push(new Uint8Array(data)))
  ws.send(encodeAuth(name, ''))
  await waitFor(() => replies.length > 0, 3000, 'auth reply')
  assert.equal(decodeAuthReply(replies[0]!), { kind: 'authenticated', scope: 'read-write' })
  ws.close()
})

/** Opens a raw socket with these upgrade headers, asks for a document with an empty token, and reports how it ended. */
async function cookieUpgrade(url: string, docId: string, headers: Record<string, string>) {
  const ws = new WebSocket(url, { headers })
  const replies: Uint8Array[] = []
  ws.on('message', (data: Buffer) => replies.push(new Uint8Array(data)))
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  await new Promise((r) => ws.once('open', r))
  ws.send(encodeAuth(`doc:${docId}`, ''))
  await waitFor(() => replies.length > 0, 3000, 'auth reply')
  const reply = decodeAuthReply(replies[0]!)
  if (reply.kind === 'authenticated') {
    ws.close()
    return { reply, close: null }
  }
  return { reply, close: await closed }
}

test('a cookie upgrade from a page of another site is refused with 4403 and a reason saying why (WebSocket hijacking)', async () => {
  const host = new URL(f.url).host
  const refusedBefore = f.collab.metrics.connectionsRefused[CloseCode.FORBIDDEN] ?? 0
  for (const origin of ['https://evil.example', 'null', `http://evil.example:${new URL(f.url).port}`]) {
    const { reply, close } = await cookieUpgrade(f.url, f.docs.timeline, {
      cookie: `cutroom_session=${f.sessions.owner}`,
      origin,
      host,
    })
    assert.equal(reply, { kind: 'denied', reason: CROSS_SITE_REASON }, origin)
    assert.equal(close, { code: CloseCode.FORBIDDEN, reason: CROSS_SITE_REASON }, origin)
  }
  assert.is(f.collab.metrics.connectionsRefused[CloseCode.FORBIDDEN], refusedBefore + 3, 'counted as refusals')
  // the app on the same host (another port), and a client that sends no Origin (not a browser), are let in
  for (const headers of [{ origin: 'http://127.0.0.1:4000', host }, {}] as Record<string, string>[]) {
    const { reply } = await cookieUpgrade(f.url, f.docs.timeline, {
      cookie: `cutroom_session=${f.sessions.owner}`,
      ...headers,
    })
    assert.equal(reply, { kind: 'authenticated', scope: 'read-write' }, JSON.stringify(headers))
  }
  // an explicit token is a credential the page already holds: its Origin does not matter
  const ws = new WebSocket(f.url, { headers: { origin: 'https://evil.example' } })
  const replies: Uint8Array[] = []
  ws.on('message', (data: Buffer) => replies.push(new Uint8Array(data)))
  await new Promise((r) => ws.once('open', r))
  ws.send(encodeAuth(`doc:${f.docs.timeline}`, f.sessions.owner))
  await waitFor(() => replies.length > 0, 3000, 'auth reply')
  assert.equal(decodeAuthReply(replies[0]!), { kind: 'authenticated', scope: 'read-write' })
  ws.close()
})

test('with PUBLIC_URL and ALLOWED_ORIGINS configured, only those origins may use the cookie', async () => {
  const configured = await createCollabFixture({
    PUBLIC_URL: 'https://cutroom.example.com/app',
    ALLOWED_ORIGINS: ['http://localhost:5173'],
  })
  try {
    const cookie = `cutroom_session=${configured.sessions.editor}`
    const host = new URL(configured.url).host
    for (const origin of ['https://cutroom.example.com', 'http://localhost:5173']) {
      const { reply } = await cookieUpgrade(configured.url, configured.docs.timeline, { cookie, origin, host })
      assert.equal(reply, { kind: 'authenticated', scope: 'read-write' }, origin)
    }
    // the same host name is no longer enough once the app's origins are known
    const { reply, close } = await cookieUpgrade(configured.url, configured.docs.timeline, {
      cookie,
      origin: 'http://127.0.0.1:9999',
      host,
    })
    assert.equal(reply, { kind: 'denied', reason: CROSS_SITE_REASON })
    assert.is(close?.code, CloseCode.FORBIDDEN)
  } finally {
    await configured.close()
  }
})

test('the connection context carries the person for persistence', async () => {
  const docId = f.docs.qa
  const reviewer = await f.connect(docId, f.sessions.reviewer)
  // A valid finding: collab refuses qa changes the model's validator rejects.
  qa.addFinding(reviewer.doc, { title: 'x', versionA: 'a', versionB: 'b', frame: 0, author: f.userIds.reviewer })
  await reviewer.settled()
  const rows = await f.sql<{ user_id: string }[]>`select user_id from doc_updates where doc_id = ${docId}`
  assert.ok(rows.some((r) => r.user_id === f.userIds.reviewer))
  reviewer.destroy()
})

test.run()
