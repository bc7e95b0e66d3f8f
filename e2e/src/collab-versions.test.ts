/**
 * documents.versions.* end to end: the real api (with its NATS connection) and the collab server over one
 * database. Versions are created from the live state, restores apply live as new changes, roles are enforced.
 */
import { createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi } from '@cutroom/api/testing'
import { type CollabServer, createCollabServer } from '@cutroom/collab'
import { generateToken, hashToken, qa } from '@cutroom/schema'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openReplica, seedCollabTenant, waitUntil } from './collab-tenant'

let api: MediaTestApi
let collab: CollabServer
let sql: postgres.Sql
let collabUrl: string

test.before(async () => {
  api = await startMediaTestApi()
  sql = postgres(api.databaseUrl, { max: 4, onnotice: () => {} })
  collab = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: 0,
      COLLAB_MAX_UPDATE_BYTES: 1024 * 1024,
      COLLAB_MAX_CONNECTIONS_PER_USER: 50,
      COLLAB_SNAPSHOT_EVERY: 500,
      NATS_URL: api.nats.url,
    },
    sql,
  })
  ;({ url: collabUrl } = await collab.listen())
})
test.after(async () => {
  await collab.destroy()
  await sql.end()
  await api.close()
})

async function errorCode(p: Promise<unknown>): Promise<string | null> {
  return p.then(
    () => null,
    (e: { data?: { code?: string }; shape?: { data?: { code?: string } }; message: string }) =>
      (e.data as { stableCode?: string } | undefined)?.stableCode ?? e.shape?.data?.code ?? e.message,
  )
}

test('create, list and restore a version; the restore is live and restoring its checkpoint undoes it', async () => {
  const { token, docIds, projectId } = await seedCollabTenant(sql, ['qa'])
  const docId = docIds[0]!
  const client = createApiClient({ url: api.url, token })
  const replica = openReplica(collabUrl, docId, token)
  await replica.synced
  const findings = replica.doc.getMap('findings')
  // Real findings: collab refuses qa changes the model's validator rejects.
  const finding = (id: string) => ({ id, title: id, versionA: 'a', versionB: 'b', frame: 0, author: 'x' })
  qa.addFinding(replica.doc, finding('f1'))
  await waitUntil(() => replica.provider.unsyncedChanges === 0, 5000, 'saved')

  const v1 = await client.documents.versions.create.mutate({ documentId: docId, name: 'Review 1' })
  assert.is(v1.name, 'Review 1')
  qa.addFinding(replica.doc, finding('f2'))
  findings.delete('f1')
  await waitUntil(() => replica.provider.unsyncedChanges === 0, 5000, 'saved')

  const restored = await client.documents.versions.restore.mutate({ versionId: v1.id })
  assert.ok(restored.changed)
  await waitUntil(() => findings.has('f1') && !findings.has('f2'), 5000, 'restore seen live')
  const list = await client.documents.versions.list.query({ documentId: docId })
  assert.equal(
    list.map((v) => v.name),
    ['Before restoring "Review 1"', 'Review 1'],
  )
  await client.documents.versions.restore.mutate({ versionId: restored.undoVersionId! })
  await waitUntil(() => findings.has('f2') && !findings.has('f1'), 5000, 'undo of the restore seen live')

  // Viewers may list but not restore; other tenants see nothing.
  const [viewer] = await sql<{ id: string }[]>`
    insert into users (email, name, password_hash) values (${`v-${generateToken(5)}@example.com`}, 'V', 'x') returning id`
  const [project] = await sql<{ org_id: string }[]>`select org_id from projects where id = ${projectId}`
  await sql`insert into memberships (org_id, user_id, role) values (${project!.org_id}, ${viewer!.id}, 'viewer')`
  const viewerToken = generateToken()
  await sql`insert into sessions (id, user_id, expires_at) values (${hashToken(viewerToken)}, ${viewer!.id}, now() + interval '1 hour')`
  const asViewer = createApiClient({ url: api.url, token: viewerToken })
  assert.is((await asViewer.documents.versions.list.query({ documentId: docId })).length, 3)
  assert.match(
    String(await errorCode(asViewer.documents.versions.restore.mutate({ versionId: v1.id }))),
    /FORBIDDEN_ROLE|cannot/,
  )
  const outsider = await seedCollabTenant(sql, ['qa'])
  const asOutsider = createApiClient({ url: api.url, token: outsider.token })
  assert.match(
    String(await errorCode(asOutsider.documents.versions.restore.mutate({ versionId: v1.id }))),
    /NOT_FOUND|not found/,
  )
  assert.match(
    String(await errorCode(asOutsider.documents.versions.list.query({ documentId: docId }))),
    /NOT_FOUND|not found/,
  )
  replica.close()
})

test.run()
