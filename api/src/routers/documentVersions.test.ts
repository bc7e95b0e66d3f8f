import { ErrorCode } from '@cutroom/schema'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'

/**
 * Versions need the collaboration server (over NATS). While none answers, creating or restoring a version is
 * refused with 503 UNAVAILABLE and changes nothing — not a 500 that looks like a bug in the api.
 */

let api: MediaTestApi
let sql: postgres.Sql

test.before(async () => {
  api = await startMediaTestApi()
  sql = postgres(api.databaseUrl, { max: 1, onnotice: () => {} })
})
test.after(async () => {
  await sql.end({ timeout: 2 })
  await api.close()
})

async function post(path: string, input: unknown, token?: string) {
  const res = await fetch(`${api.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  })
  return { status: res.status, body: (await res.json()) as { result?: { data: any }; error?: any } }
}

test('documents.versions.create with no collaboration server answering: 503 UNAVAILABLE, nothing written', async () => {
  const signUp = await post('auth.signUp', { email: 'e@versions.test', password: 'correct horse 42', name: 'E' })
  const token = signUp.body.result!.data.token as string
  const org = (await post('orgs.create', { name: 'Studio' }, token)).body.result!.data
  const project = (await post('projects.create', { orgId: org.id, name: 'Film' }, token)).body.result!.data
  const doc = (await post('documents.create', { projectId: project.id, kind: 'timeline', title: 'Cut' }, token)).body
    .result!.data
  const count = async () =>
    (await sql<{ n: number }[]>`select (select count(*) from doc_versions) + (select count(*) from audit_log) as n`)[0]!
      .n

  const before = await count()
  const { status, body } = await post('documents.versions.create', { documentId: doc.id, name: 'Picture lock' }, token)
  assert.is(status, 503)
  assert.is(body.error.data.code, ErrorCode.UNAVAILABLE)
  assert.match(body.error.message, /collaboration server did not answer/)
  assert.is(await count(), before)
})

test.run()
