/**
 * Restore drill: documents edited through the collab server are backed up (infra/bin/backup), restored into a
 * new database (infra/bin/restore), and every one loads with the same Yjs state through a collab server on the
 * restored database; the S3 inventory is checked against the bucket.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { createCollabServer } from '@cutroom/collab'
import { type CollabFixture, createCollabFixture, openProvider } from '@cutroom/collab/testing'
import { startTestS3, TEST_POSTGRES_URL, type TestS3 } from '@cutroom/infra'
import { DOCUMENT_KINDS, type DocumentKind, documentName } from '@cutroom/schema'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'

const ROOT = path.resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
let fx: CollabFixture
let s3: TestS3
let dir: string
const restoredName = `cutroom_restore_${process.pid}_${Date.now()}`
const restoredUrl = (() => {
  const u = new URL(TEST_POSTGRES_URL)
  u.pathname = `/${restoredName}`
  return u.toString()
})()

test.before(async () => {
  // a low snapshot threshold, so the backup holds both compacted snapshots and a tail of log updates
  fx = await createCollabFixture({ COLLAB_SNAPSHOT_EVERY: 10 })
  s3 = await startTestS3()
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-backup-'))
})

test.after(async () => {
  await fx?.close()
  await s3?.stop()
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`DROP DATABASE IF EXISTS ${restoredName} WITH (FORCE)`)
  await admin.end()
  rmSync(dir, { recursive: true, force: true })
})

/** The state a fresh client gets when it opens the document on the server at `url`. */
async function loadState(url: string, docId: string, token: string): Promise<{ update: Uint8Array; json: unknown }> {
  const doc = new Y.Doc()
  const provider = openProvider(url, documentName(docId), token, doc)
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${docId} did not sync`)), 10_000)
      provider.on('synced', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    return { update: Y.encodeStateAsUpdate(doc), json: doc.getMap('drill').toJSON() }
  } finally {
    provider.destroy()
  }
}

const script = (name: string, env: Record<string, string>, ...args: string[]) =>
  run('bash', [path.join(ROOT, 'infra/bin', name), ...args], { cwd: ROOT, env: { ...process.env, ...env } })

test('every document restores into a new database with the same Yjs state; the S3 inventory is checked', async () => {
  const token = fx.sessions.owner
  // edits by two people on every kind people write (qa-workflow is written by the server only): enough updates
  // to be folded into snapshots, and more after
  const edited: DocumentKind[] = DOCUMENT_KINDS.filter((k) => k !== 'qa-workflow')
  for (const kind of edited) {
    const a = await fx.connect(fx.docs[kind], token)
    const b = await fx.connect(fx.docs[kind], fx.sessions.editor)
    for (let i = 0; i < 25; i++) {
      a.doc.getMap('drill').set(`a${i}`, `${kind} ${i}`)
      b.doc.getMap('drill').set(`b${i}`, i)
    }
    const text = new Y.Text('restored text')
    a.doc.getMap('drill').set('text', text)
    await a.settled()
    await b.settled()
    a.destroy()
    b.destroy()
  }
  const snapshots = await fx.sql`select count(*)::int as n from doc_snapshots`
  const before = new Map<string, { update: Uint8Array; json: unknown }>()
  for (const kind of DOCUMENT_KINDS) before.set(kind, await loadState(fx.url, fx.docs[kind], token))

  const client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.env.S3_ENDPOINT,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
  for (const key of ['media/a/source.mp4', 'media/a/hls/master.m3u8'])
    await client.send(new PutObjectCommand({ Bucket: s3.env.S3_BUCKET, Key: key, Body: `bytes of ${key}` }))

  const backup = path.join(dir, 'backup')
  const out = await script('backup', { DATABASE_URL: fx.db.url, ...s3.env }, backup)
  assert.match(out.stdout, /2 objects, \d+ bytes in bucket/)
  const manifest = JSON.parse(readFileSync(path.join(backup, 'manifest.json'), 'utf8')) as {
    postgres: { bytes: number }
  }
  assert.ok(manifest.postgres.bytes > 1000)

  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${restoredName}`)
  await admin.end()
  const restored = await script('restore', { DATABASE_URL: restoredUrl, ...s3.env }, backup)
  assert.match(restored.stdout, /postgres restored/)
  assert.match(restored.stdout, /all 2 objects of the inventory are in bucket/)

  const sql = postgres(restoredUrl, { max: 4, onnotice: () => {} })
  const collab = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: 0,
      COLLAB_MAX_UPDATE_BYTES: 64 * 1024,
      COLLAB_MAX_CONNECTIONS_PER_USER: 20,
      COLLAB_SNAPSHOT_EVERY: 10,
    },
    sql,
  })
  try {
    const { url } = await collab.listen()
    for (const kind of DOCUMENT_KINDS) {
      const after = await loadState(url, fx.docs[kind], token)
      const was = before.get(kind)!
      assert.equal(after.json, was.json, `${kind} content`)
      assert.ok(Buffer.from(after.update).equals(Buffer.from(was.update)), `${kind}: the same Yjs state, byte for byte`)
      if (edited.includes(kind)) assert.is((after.json as Record<string, unknown>).a24, `${kind} 24`)
    }
  } finally {
    await collab.destroy()
    await sql.end({ timeout: 5 })
  }
  assert.ok(snapshots[0]!.n > 0, 'compaction wrote snapshots before the backup')

  // restoring over a database that has tables is refused and changes nothing
  const again = await script('restore', { DATABASE_URL: restoredUrl }, backup).then(
    () => null,
    (e: { stderr: string; code: number }) => e,
  )
  assert.ok(again)
  assert.match(again!.stderr, /already has \d+ tables; restore into a new, empty database/)
  // an object the backup references that the bucket lost is reported
  await client.send(new DeleteObjectCommand({ Bucket: s3.env.S3_BUCKET, Key: 'media/a/source.mp4' }))
  const check = await run(
    process.execPath,
    ['--import', 'tsx', 'infra/src/backup/s3Inventory.ts', 'check', path.join(backup, 's3-inventory.jsonl')],
    { cwd: ROOT, env: { ...process.env, ...s3.env } },
  ).then(
    () => null,
    (e: { stderr: string }) => e,
  )
  assert.match(check!.stderr, /1 of 2 objects are missing or changed, e\.g\. media\/a\/source\.mp4/)
  client.destroy()
})

test.run()
