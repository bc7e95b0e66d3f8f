import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi } from '@cutroom/api/testing'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'

let api: MediaTestApi
let dir: string
let worker: WorkerProcess
let n = 0

async function studio() {
  const anon = createApiClient({ url: api.url })
  const { token } = await anon.auth.signUp.mutate({
    email: `errors${++n}@example.com`,
    password: 'correct horse 42',
    name: 'Editor',
  })
  const client = createApiClient({ url: api.url, token })
  const org = await client.orgs.create.mutate({ name: `Studio ${n}` })
  // a paying studio (self-hosted plan change): these tests are about other things than the free plan's limits
  await client.billing.setPlan.mutate({ orgId: org.id, plan: 'team' })
  const project = await client.projects.create.mutate({ orgId: org.id, name: 'Film' })
  return { token, client, org, project }
}

type Client = Awaited<ReturnType<typeof studio>>['client']

async function upload(client: Client, projectId: string, file: string, filename: string) {
  const bytes = readFileSync(file)
  const started = await client.assets.createUpload.mutate({
    projectId,
    filename,
    size: bytes.length,
    contentType: 'video/mp4',
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT for a small file')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  await client.assets.completeUpload.mutate({ assetId: started.asset.id })
  const [row] = await api.sql<{ storage_key: string }[]>`select storage_key from assets where id = ${started.asset.id}`
  return { assetId: started.asset.id, storageKey: row!.storage_key }
}

/** No URL, bucket, storage key (nor its ids), credential, presigned parameter, local path or stack trace. */
function assertClean(message: string | null | undefined, storageKey: string, what: string) {
  assert.type(message, 'string', `${what} has an error`)
  const m = message!
  assert.not.match(m, /https?:|s3:\/\//i, `${what}: no URL in ${m}`)
  assert.not.ok(m.includes(api.s3.bucket), `${what}: no bucket in ${m}`)
  assert.not.ok(m.includes(storageKey), `${what}: no key in ${m}`)
  for (const segment of storageKey.split('/').filter((s) => s.length >= 32))
    assert.not.ok(m.includes(segment), `${what}: no key segment in ${m}`)
  assert.not.match(m, /S3RVER|AKIA|X-Amz-|Signature=|Credential=/i, `${what}: no credentials in ${m}`)
  assert.not.ok(m.includes('/tmp/') || m.includes(tmpdir()), `${what}: no local path in ${m}`)
  assert.not.match(m, /\n\s+at\s/, `${what}: no stack trace in ${m}`)
}

/** How ffmpeg words a failure on damaged media (which one depends on where the damage hits). */
const FFMPEG_REASON =
  /Invalid data found when processing input|nothing was encoded|Error while (?:decoding|filtering)|Error configuring filter graph/

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-media-errors-'))
  api = await startMediaTestApi({ BILLING_MODE: 'manual' })
  worker = await spawnWorker(api, {
    WORKER_ACK_WAIT_MS: '3000',
    WORKER_RETRY_BACKOFF_MS: '200',
    WORKER_MAX_ATTEMPTS: '2',
  })
})

test.after(async () => {
  await worker.stop()
  await api.close()
  rmSync(dir, { recursive: true, force: true })
})

test('a corrupt upload is rejected with ffprobe’s reason; rows and what the client reads name only the file', async () => {
  const { client, project } = await studio()
  const junk = path.join(dir, 'junk.bin')
  writeFileSync(junk, 'this is a text file pretending to be a video\n'.repeat(100))
  const { assetId, storageKey } = await upload(client, project.id, junk, 'x.mp4')
  const asset = await until('the asset to be rejected', async () => {
    const a = await client.assets.get.query({ id: assetId })
    return a.status === 'rejected' || a.status === 'failed' ? a : null
  })
  assert.is(asset.status, 'rejected')
  assert.is(
    asset.error,
    'UNSUPPORTED_MEDIA: This file is not playable media (x.mp4: Invalid data found when processing input); upload a video or audio file.',
  )
  assertClean(asset.error, storageKey, 'assets.get')

  const [job] = await client.jobs.list.query({ projectId: project.id })
  assert.is(job!.status, 'failed')
  assertClean(job!.error, storageKey, 'jobs.list')
  assert.match(job!.error!, /Invalid data found when processing input/)
  const rows = await api.sql<{ error: string | null }[]>`
    select error from jobs where asset_id = ${assetId} union all select error from assets where id = ${assetId}`
  for (const r of rows) assertClean(r.error, storageKey, 'stored row')
})

test('damaged media fails transcode, thumbnails and waveform with ffmpeg’s reason on every attempt, and nothing else', async () => {
  const { client, project } = await studio()
  const clip = path.join(dir, 'good.mp4')
  await makeClip(clip, { seconds: 2, width: 320, height: 180 })
  const bytes = readFileSync(clip)
  const mdat = bytes.indexOf('mdat')
  assert.ok(mdat > 0)
  let seed = 11
  for (let i = mdat + 8; i < bytes.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    bytes[i] = seed >>> 24
  }
  const damaged = path.join(dir, 'damaged.mp4')
  writeFileSync(damaged, bytes)

  const { assetId, storageKey } = await upload(client, project.id, damaged, 'take 2.mp4')
  const asset = await until(
    'the asset to fail',
    async () => {
      const a = await client.assets.get.query({ id: assetId })
      return a.status === 'failed' || a.status === 'rejected' || a.status === 'ready' ? a : null
    },
    120_000,
  )
  assert.is(asset.status, 'failed', String(asset.error))
  assertClean(asset.error, storageKey, 'assets.get')
  assert.match(asset.error!, /^(transcode|thumbnails|waveform) failed: ffmpeg exited with code \d+: /)

  const jobs = await client.jobs.list.query({ projectId: project.id })
  const failed = jobs.filter((j) => j.kind !== 'probe')
  assert.equal(failed.map((j) => `${j.kind}:${j.status}`).sort(), [
    'thumbnails:failed',
    'transcode:failed',
    'waveform:failed',
  ])
  for (const j of failed) {
    assertClean(j.error, storageKey, j.kind)
    assert.match(j.error!, FFMPEG_REASON, `${j.kind}: ${j.error}`)
  }
})

test('a tRPC error the client sees carries the reason and no stack', async () => {
  const { client } = await studio()
  const err = await client.assets.get.query({ id: crypto.randomUUID() }).then(
    () => null,
    (e: { message: string; data?: Record<string, unknown> }) => e,
  )
  assert.ok(err, 'refused')
  assert.is(err!.data?.code, 'NOT_FOUND')
  assert.is(err!.data?.stack, undefined)
  assert.not.match(err!.message, /https?:|\/work\/|node_modules|\bat\s/)
})

test.run()
