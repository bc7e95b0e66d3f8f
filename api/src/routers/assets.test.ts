import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { type JobEvent, type JobKind, jobMessageId, Streams, Subjects, tables } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createContext } from '../context'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { createCallerFactory } from '../trpc'

const MiB = 1024 * 1024
const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let nc: NatsConnection
let s3: S3Client
let ip = 0

const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code
const failure = (p: Promise<unknown>) => p.then(() => assert.unreachable('should have failed'), (e: unknown) => e)
const expectCode = async (p: Promise<unknown>, code: string) => assert.is(codeOf(await failure(p)), code)

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.1.0.${++ip}` }))
}

let n = 0
async function person(name: string) {
  const { user, token } = await (await caller()).auth.signUp({ email: `${name}${++n}@example.com`, password: 'correct horse 42', name })
  return { user, token, call: await caller(token) }
}

async function studio() {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: `Studio ${n}` })
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film' })
  return { owner, org, project }
}

async function publishEvent(event: Omit<JobEvent, 'at' | 'final' | 'artifacts' | 'usage'> & Partial<JobEvent>) {
  const full = { artifacts: [], usage: [], final: true, ...event, at: new Date().toISOString() }
  await jetstream(nc).publish(Subjects.event(full.kind, full.status), JSON.stringify(full), {
    msgID: `${full.jobId}:${full.attempt}:${full.status}`,
  })
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function jobsOf(assetId: string) {
  return api.services.db
    .select({ id: tables.jobs.id, kind: tables.jobs.kind, status: tables.jobs.status, attempt: tables.jobs.attempt, payload: tables.jobs.payload })
    .from(tables.jobs)
    .where(eq(tables.jobs.assetId, assetId))
}

/** Uploads `bytes` as a new asset through presigned URLs, the way a browser does. */
async function uploadAsset(call: Awaited<ReturnType<typeof caller>>, projectId: string, bytes: Buffer, contentType = 'video/mp4') {
  const started = await call.assets.createUpload({ projectId, filename: 'clip.mp4', size: bytes.length, contentType })
  if (started.upload.mode === 'single') {
    const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
    assert.is(put.status, 200, await put.text())
    return { started, completed: await call.assets.completeUpload({ assetId: started.asset.id }) }
  }
  const { partSize, parts } = started.upload
  const etags = []
  for (const p of parts) {
    const res = await fetch(p.url, { method: 'PUT', body: bytes.subarray((p.partNumber - 1) * partSize, p.partNumber * partSize) })
    assert.is(res.status, 200, await res.text())
    etags.push({ partNumber: p.partNumber, etag: res.headers.get('etag')! })
  }
  return { started, completed: await call.assets.completeUpload({ assetId: started.asset.id, parts: etags }) }
}

test.before(async () => {
  api = await startMediaTestApi({ UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * MiB), UPLOAD_PART_SIZE_BYTES: String(5 * MiB) })
  nc = await connect({ servers: api.nats.url })
  s3 = new S3Client({
    endpoint: api.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
})

test.after(async () => {
  s3.destroy()
  await nc.drain()
  await api.close()
})

test('createUpload checks type, plan limits, role and tenancy before creating anything', async () => {
  const { owner, org, project } = await studio()
  const base = { projectId: project.id, filename: 'a.mp4', size: 1000, contentType: 'video/mp4' }
  await expectCode(owner.call.assets.createUpload({ ...base, contentType: 'text/plain' }), 'UNSUPPORTED_MEDIA')
  const tooBig = await failure(owner.call.assets.createUpload({ ...base, size: 3 * 1024 ** 3 }))
  assert.is(codeOf(tooBig), 'QUOTA_EXCEEDED')
  assert.match((tooBig as Error).message, /Free plan accepts files up to 2\.0 GiB/)
  // input validation (a ZodError behind tRPC's BAD_REQUEST, shown to HTTP clients as BAD_INPUT)
  assert.is(((await failure(owner.call.assets.createUpload({ ...base, size: 0 }))) as { code?: string }).code, 'BAD_REQUEST')

  const viewer = await person('viewer')
  await owner.call.orgs.members.add({ orgId: org.id, email: viewer.user.email, role: 'viewer' })
  await expectCode(viewer.call.assets.createUpload(base), 'FORBIDDEN_ROLE')
  const stranger = await person('stranger')
  await expectCode(stranger.call.assets.createUpload(base), 'NOT_FOUND')
  assert.equal(await owner.call.assets.list({ projectId: project.id }), [])
})

test('a small file goes up with one presigned PUT; completing dispatches a probe job once, with the job id as message id', async () => {
  const { owner, project } = await studio()
  const bytes = Buffer.alloc(200_000, 7)
  const { started, completed } = await uploadAsset(owner.call, project.id, bytes)
  assert.is(started.upload.mode, 'single')
  assert.is(completed.status, 'uploaded')
  const again = await owner.call.assets.completeUpload({ assetId: started.asset.id })
  assert.is(again.probeJobId, completed.probeJobId, 'completing twice dispatches once')
  const jobs = await jobsOf(started.asset.id)
  assert.equal(jobs.map((j) => [j.kind, j.status]), [['probe', 'queued']])

  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('probe') })
  assert.is(stored?.header.get('Nats-Msg-Id'), completed.probeJobId)
  const payload = stored!.json<{ jobId: string; input: { sourceKey: string } }>()
  assert.is(payload.jobId, completed.probeJobId)
  assert.match(payload.input.sourceKey, new RegExp(`^orgs/.+/projects/${project.id}/assets/${started.asset.id}/source/clip\\.mp4$`))

  const listed = await owner.call.assets.list({ projectId: project.id })
  assert.equal(listed.map((a) => [a.id, a.status]), [[started.asset.id, 'uploaded']])
})

test('a large file goes up as a presigned multipart upload that can be resumed with fresh part URLs', async () => {
  const { owner, project } = await studio()
  const bytes = Buffer.alloc(6 * MiB + 123, 1)
  const started = await owner.call.assets.createUpload({ projectId: project.id, filename: 'big.mov', size: bytes.length, contentType: 'video/quicktime' })
  assert.is(started.upload.mode, 'multipart')
  if (started.upload.mode !== 'multipart') return
  assert.is(started.upload.parts.length, 2)
  // the first part goes up, then the page reloads
  const first = await fetch(started.upload.parts[0]!.url, { method: 'PUT', body: bytes.subarray(0, 5 * MiB) })
  const etag1 = first.headers.get('etag')!
  const state = await owner.call.assets.get({ id: started.asset.id })
  assert.is(state.status, 'uploading')
  assert.is(state.upload?.mode, 'multipart')
  assert.is(state.upload?.partSize, 5 * MiB)
  const resumed = await owner.call.assets.resumeUpload({ assetId: started.asset.id })
  if (resumed.mode !== 'multipart') return assert.unreachable('multipart')
  const second = await fetch(resumed.parts[1]!.url, { method: 'PUT', body: bytes.subarray(5 * MiB) })
  assert.is(second.status, 200)
  await expectCode(
    owner.call.assets.completeUpload({ assetId: started.asset.id, parts: [{ partNumber: 1, etag: etag1 }] }),
    'BAD_INPUT',
  )
  const done = await owner.call.assets.completeUpload({
    assetId: started.asset.id,
    parts: [
      { partNumber: 2, etag: second.headers.get('etag')! },
      { partNumber: 1, etag: etag1 },
    ],
  })
  assert.is(done.status, 'uploaded')
  assert.is((await owner.call.assets.get({ id: started.asset.id })).size, bytes.length)
})

test('a used-up monthly media quota refuses processing, and a full storage quota refuses uploads', async () => {
  const { owner, org, project } = await studio()
  const started = await owner.call.assets.createUpload({ projectId: project.id, filename: 'a.mp4', size: 1000, contentType: 'video/mp4' })
  if (started.upload.mode !== 'single') return
  await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: Buffer.alloc(1000) })
  // the free plan has 60 media minutes a month
  await api.services.db.insert(tables.usageEvents).values({ orgId: org.id, jobId: crypto.randomUUID(), metric: 'media_seconds', quantity: 3600 })
  const refused = await failure(owner.call.assets.completeUpload({ assetId: started.asset.id }))
  assert.is(codeOf(refused), 'QUOTA_EXCEEDED')
  assert.match((refused as Error).message, /60 media minutes/)
  assert.is((await owner.call.assets.get({ id: started.asset.id })).status, 'uploading', 'nothing was dispatched')

  await api.services.db.update(tables.assets).set({ size: 5 * 1024 ** 3 - 10 }).where(eq(tables.assets.id, started.asset.id))
  const full = await failure(owner.call.assets.createUpload({ projectId: project.id, filename: 'b.mp4', size: 1000, contentType: 'video/mp4' }))
  assert.is(codeOf(full), 'QUOTA_EXCEEDED')
  assert.match((full as Error).message, /Storage is full/)
})

test('completing before the bytes arrived is refused; a file of another size is rejected', async () => {
  const { owner, project } = await studio()
  const started = await owner.call.assets.createUpload({ projectId: project.id, filename: 'x.mp4', size: 1000, contentType: 'video/mp4' })
  await expectCode(owner.call.assets.completeUpload({ assetId: started.asset.id }), 'INVALID_STATE')
  if (started.upload.mode !== 'single') return
  await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: Buffer.alloc(1000) })
  const other = await owner.call.assets.createUpload({ projectId: project.id, filename: 'y.mp4', size: 1000, contentType: 'video/mp4' })
  const key = (await api.services.db.select({ k: tables.assets.storageKey }).from(tables.assets).where(eq(tables.assets.id, other.asset.id)))[0]!.k
  await s3.send(new PutObjectCommand({ Bucket: api.s3.bucket, Key: key, Body: Buffer.alloc(5000) }))
  await expectCode(owner.call.assets.completeUpload({ assetId: other.asset.id }), 'BAD_INPUT')
  assert.is((await owner.call.assets.get({ id: other.asset.id })).status, 'rejected')
})

test('results on EVENTS: probe metadata, follow-up jobs, artifacts and usage recorded once, asset ready, files served', async () => {
  const { owner, org, project } = await studio()
  const { started, completed } = await uploadAsset(owner.call, project.id, Buffer.alloc(1000, 3))
  const assetId = started.asset.id
  const probeId = completed.probeJobId!
  const base = { orgId: org.id, projectId: project.id, assetId, attempt: 1 }
  await publishEvent({ ...base, jobId: probeId, kind: 'probe', status: 'running', final: false })
  await until('probe running', async () => (await owner.call.jobs.get({ id: probeId })).status === 'running')
  // progress ticks reach the row too, for clients that poll
  nc.publish(Subjects.progress(probeId), JSON.stringify({ jobId: probeId, projectId: project.id, kind: 'probe', progress: 0.4, at: new Date().toISOString() }))
  await until('progress on the row', async () => (await owner.call.jobs.get({ id: probeId })).progress === 0.4)
  const metadata = { durationSeconds: 2, hasVideo: true, hasAudio: true, video: { fps: { num: 25, den: 1 }, width: 640, height: 360, durationFrames: 50 } }
  await publishEvent({ ...base, jobId: probeId, kind: 'probe', status: 'succeeded', result: { metadata } })
  const jobs = await until('follow-up jobs', async () => {
    const rows = await jobsOf(assetId)
    return rows.length === 4 ? rows : null
  })
  assert.equal(jobs.map((j) => j.kind).sort(), ['probe', 'thumbnails', 'transcode', 'waveform'])
  const asset = await owner.call.assets.get({ id: assetId })
  assert.is(asset.status, 'processing')
  assert.equal(asset.metadata, metadata)

  const byKind = (k: JobKind) => jobs.find((j) => j.kind === k)!
  // the first proxy is a fast preview rendition; its success queues the full ladder
  assert.is((byKind('transcode').payload as { input: { preview?: boolean } }).input.preview, true)
  const previewId = crypto.randomUUID()
  await publishEvent({
    ...base,
    jobId: byKind('transcode').id,
    kind: 'transcode',
    status: 'succeeded',
    artifacts: [{ id: previewId, slot: 'hls', key: `orgs/${org.id}/projects/${project.id}/assets/${assetId}/artifacts/${previewId}/master.m3u8`, contentType: 'application/vnd.apple.mpegurl', size: 10, metadata: { preview: true } }],
  })
  const ladder = await until('the ladder after the preview', async () =>
    (await jobsOf(assetId)).find((j) => j.kind === 'transcode' && j.id !== byKind('transcode').id),
  )
  const ladderInput = (ladder.payload as { input: { heights: number[]; preview?: boolean } }).input
  assert.equal(ladderInput.heights, [360, 720])
  assert.is(ladderInput.preview, false)
  assert.is((await owner.call.assets.get({ id: assetId })).status, 'processing', 'not ready between the renditions')
  const hlsId = crypto.randomUUID()
  const prefix = `orgs/${org.id}/projects/${project.id}/assets/${assetId}/artifacts/${hlsId}`
  await s3.send(new PutObjectCommand({ Bucket: api.s3.bucket, Key: `${prefix}/master.m3u8`, Body: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0/index.m3u8\n' }))
  await s3.send(new PutObjectCommand({ Bucket: api.s3.bucket, Key: `${prefix}/v0/seg_00000.ts`, Body: Buffer.alloc(1000, 9) }))
  const transcodeDone = {
    ...base,
    jobId: ladder.id,
    kind: 'transcode' as const,
    status: 'succeeded' as const,
    artifacts: [{ id: hlsId, slot: 'hls', key: `${prefix}/master.m3u8`, contentType: 'application/vnd.apple.mpegurl', size: 1050, metadata: {} }],
    usage: [{ metric: 'media_seconds' as const, quantity: 2 }],
  }
  await publishEvent(transcodeDone)
  // the same result again (a redelivery after a crash): recorded once
  await jetstream(nc).publish(Subjects.event('transcode', 'succeeded'), JSON.stringify({ ...transcodeDone, final: true, at: new Date().toISOString() }))
  for (const k of ['thumbnails', 'waveform'] as const) await publishEvent({ ...base, jobId: byKind(k).id, kind: k, status: 'succeeded', usage: [{ metric: 'media_seconds', quantity: 2 }] })
  await until('asset ready', async () => (await owner.call.assets.get({ id: assetId })).status === 'ready')
  const usage = await api.services.db.select().from(tables.usageEvents).where(eq(tables.usageEvents.orgId, org.id))
  assert.is(usage.length, 3, 'one usage row per job and metric')
  const ready = await owner.call.assets.get({ id: assetId })
  assert.equal(ready.artifacts.map((a) => [a.id, a.slot, a.url]), [
    [previewId, 'hls', `/media/${previewId}/master.m3u8`],
    [hlsId, 'hls', `/media/${hlsId}/master.m3u8`],
  ])

  // the artifact's files, for members only, with ranges
  const auth = { authorization: `Bearer ${owner.token}` }
  const master = await fetch(`${api.url}/media/${hlsId}/master.m3u8`, { headers: auth })
  assert.is(master.status, 200)
  assert.is(master.headers.get('content-type'), 'application/vnd.apple.mpegurl')
  assert.match(await master.text(), /v0\/index\.m3u8/)
  const part = await fetch(`${api.url}/media/${hlsId}/v0/seg_00000.ts`, { headers: { ...auth, range: 'bytes=10-19' } })
  assert.is(part.status, 206)
  assert.is(part.headers.get('content-range'), 'bytes 10-19/1000')
  assert.is((await part.arrayBuffer()).byteLength, 10)
  assert.is((await fetch(`${api.url}/media/${hlsId}/master.m3u8`)).status, 401)
  const stranger = await person('stranger')
  assert.is((await fetch(`${api.url}/media/${hlsId}/master.m3u8`, { headers: { authorization: `Bearer ${stranger.token}` } })).status, 404)
  assert.is((await fetch(`${api.url}/media/${hlsId}/..%2F..%2Fsource/clip.mp4`, { headers: auth })).status, 404)
})

test('the uploaded file is served at the asset\'s sourceUrl to members, with ranges, once its bytes are complete', async () => {
  const { owner, project } = await studio()
  const pending = await owner.call.assets.createUpload({ projectId: project.id, filename: 'later.mp4', size: 100, contentType: 'video/mp4' })
  const auth = { authorization: `Bearer ${owner.token}` }
  assert.is((await owner.call.assets.get({ id: pending.asset.id })).sourceUrl, null, 'no source while uploading')
  assert.is((await fetch(`${api.url}/media/source/${pending.asset.id}`, { headers: auth })).status, 404)

  const bytes = Buffer.from(Array.from({ length: 2000 }, (_, i) => i % 251))
  const { started } = await uploadAsset(owner.call, project.id, bytes, 'video/quicktime')
  const asset = await owner.call.assets.get({ id: started.asset.id })
  assert.is(asset.sourceUrl, `/media/source/${asset.id}`)
  const listed = await owner.call.assets.list({ projectId: project.id })
  assert.is(listed.find((a) => a.id === asset.id)?.sourceUrl, asset.sourceUrl)
  const whole = await fetch(`${api.url}${asset.sourceUrl}`, { headers: auth })
  assert.is(whole.status, 200)
  assert.is(whole.headers.get('content-type'), 'video/quicktime')
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(bytes))
  const part = await fetch(`${api.url}${asset.sourceUrl}`, { headers: { ...auth, range: 'bytes=100-149' } })
  assert.is(part.status, 206)
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 150)))
  assert.is((await fetch(`${api.url}${asset.sourceUrl}`)).status, 401)
  const stranger = await person('stranger')
  assert.is((await fetch(`${api.url}${asset.sourceUrl}`, { headers: { authorization: `Bearer ${stranger.token}` } })).status, 404)
  assert.is((await fetch(`${api.url}/media/source/${asset.id}/x`, { headers: auth })).status, 404)
})

test('a probe refused as not playable marks the asset rejected with the reason', async () => {
  const { owner, org, project } = await studio()
  const { started, completed } = await uploadAsset(owner.call, project.id, Buffer.alloc(500, 1))
  await publishEvent({
    orgId: org.id,
    projectId: project.id,
    assetId: started.asset.id,
    attempt: 1,
    jobId: completed.probeJobId!,
    kind: 'probe',
    status: 'failed',
    error: 'UNSUPPORTED_MEDIA: This file is not playable media (Invalid data found when processing input); upload a video or audio file.',
    result: { code: 'UNSUPPORTED_MEDIA' },
  })
  const asset = await until('rejected', async () => {
    const a = await owner.call.assets.get({ id: started.asset.id })
    return a.status === 'rejected' ? a : null
  })
  assert.match(asset.error!, /not playable media/)
  const job = await owner.call.jobs.get({ id: completed.probeJobId! })
  assert.is(job.status, 'failed')
  assert.match(job.error!, /UNSUPPORTED_MEDIA/)
})

test('cancel publishes control.cancel and settles the row; retry dispatches a new attempt; viewers can do neither', async () => {
  const { owner, org, project } = await studio()
  const { completed } = await uploadAsset(owner.call, project.id, Buffer.alloc(500, 2))
  const jobId = completed.probeJobId!
  const viewer = await person('viewer')
  await owner.call.orgs.members.add({ orgId: org.id, email: viewer.user.email, role: 'viewer' })
  await expectCode(viewer.call.jobs.cancel({ id: jobId }), 'FORBIDDEN_ROLE')
  assert.is((await viewer.call.jobs.get({ id: jobId })).status, 'queued')
  await expectCode((await person('stranger')).call.jobs.get({ id: jobId }), 'NOT_FOUND')

  const cancels = nc.subscribe(Subjects.cancel(jobId), { max: 1 })
  const cancelled = await owner.call.jobs.cancel({ id: jobId })
  assert.is(cancelled.status, 'cancelled')
  for await (const _m of cancels) break
  await expectCode(owner.call.jobs.cancel({ id: jobId }), 'INVALID_STATE')

  const retried = await owner.call.jobs.retry({ id: jobId })
  assert.is(retried.status, 'queued')
  assert.is(retried.attempt, 2)
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('probe') })
  assert.is(stored?.header.get('Nats-Msg-Id'), jobMessageId(jobId, 2))
  assert.is(stored!.json<{ attempt: number }>().attempt, 2)
  const listed = await viewer.call.jobs.list({ projectId: project.id })
  assert.equal(listed.map((j) => [j.id, j.attempt]), [[jobId, 2]])
})

test('jobs.progress relays ticks and status changes of the caller’s project only', async () => {
  const a = await studio()
  const b = await studio()
  const { completed } = await uploadAsset(a.owner.call, a.project.id, Buffer.alloc(500, 4))
  const jobId = completed.probeJobId!
  const stream = await a.owner.call.jobs.progress({ projectId: a.project.id })
  await expectCode(b.owner.call.jobs.progress({ projectId: a.project.id }).then((it) => it[Symbol.asyncIterator]().next()), 'NOT_FOUND')
  const received: unknown[] = []
  const reading = (async () => {
    for await (const update of stream) {
      received.push(update)
      if (received.length === 2) break
    }
  })()
  // the subscription attaches asynchronously; tick until it has
  const other = crypto.randomUUID()
  const tick = (id: string, projectId: string) =>
    nc.publish(Subjects.progress(id), JSON.stringify({ jobId: id, projectId, kind: 'probe', progress: 0.5, stage: 'probing', at: new Date().toISOString() }))
  const timer = setInterval(() => {
    tick(other, b.project.id)
    if (received.length === 0) tick(jobId, a.project.id)
  }, 50)
  await until('a tick', async () => received.length >= 1)
  clearInterval(timer)
  await publishEvent({ orgId: a.org.id, projectId: a.project.id, assetId: completed.assetId, attempt: 1, jobId, kind: 'probe', status: 'running', final: false })
  // leaving the loop ends the subscription (its NATS subscriptions are dropped)
  await reading
  assert.equal(received[0], { type: 'progress', jobId, kind: 'probe', progress: 0.5, stage: 'probing' })
  assert.equal(received[1], { type: 'status', jobId, kind: 'probe', status: 'running', assetId: completed.assetId, error: undefined, final: false })
})

test.run()
