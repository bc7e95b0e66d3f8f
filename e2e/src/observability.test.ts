/**
 * One upload is one trace across api, worker and collab (W3C trace context in NATS headers, OTLP over HTTP to a
 * local receiver), and the worker's /metrics counts the jobs it ran.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi } from '@cutroom/api/testing'
import { freePort } from '@cutroom/infra'
import { startTracing, type Tracing } from '@cutroom/telemetry'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { type ReceivedSpan, startOtlpReceiver } from './otlpReceiver'

const ROOT = path.resolve(import.meta.dirname, '../..')
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>
let tracing: Tracing
let api: MediaTestApi
let worker: WorkerProcess
let collab: ChildProcess
let collabUrl: string
let dir: string

async function startCollab(): Promise<ChildProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'collab/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: api.databaseUrl,
      NATS_URL: api.nats.url,
      COLLAB_PORT: String(port),
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  await until(
    'collab to be healthy',
    async () => {
      if (child.exitCode !== null) throw new Error(`collab exited with ${child.exitCode}:\n${out}`)
      return fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    },
    30_000,
  )
  collabUrl = `http://127.0.0.1:${port}`
  return child
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-observability-'))
  otlp = await startOtlpReceiver()
  // the api runs in this process; the worker and collab are their real entry points, told the endpoint by env
  tracing = startTracing({ serviceName: 'cutroom-api', endpoint: otlp.url })
  api = await startMediaTestApi()
  worker = await spawnWorker(api, {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    WORKER_KINDS: 'probe,transcode,thumbnails,waveform',
  })
  collab = await startCollab()
})

test.after(async () => {
  await worker?.stop()
  if (collab && collab.exitCode === null) {
    const exited = new Promise((r) => collab.once('exit', r))
    collab.kill('SIGTERM')
    await exited
  }
  await api?.close()
  await tracing?.shutdown()
  await otlp?.close()
  rmSync(dir, { recursive: true, force: true })
})

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

test('an upload is one trace: completeUpload -> dispatch -> worker job -> result -> collab patch; worker metrics count the jobs', async () => {
  const anon = createApiClient({ url: api.url })
  const { token } = await anon.auth.signUp.mutate({
    email: 'trace@example.com',
    password: 'correct horse 42',
    name: 'T',
  })
  const client = createApiClient({ url: api.url, token })
  const org = await client.orgs.create.mutate({ name: 'Traced' })
  const project = await client.projects.create.mutate({ orgId: org.id, name: 'Film' })
  const clip = path.join(dir, 'clip.mp4')
  await makeClip(clip, { seconds: 1, width: 320, height: 180 })
  const bytes = readFileSync(clip)
  const started = await client.assets.createUpload.mutate({
    projectId: project.id,
    filename: 'clip.mp4',
    size: bytes.length,
    contentType: 'video/mp4',
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  assert.is(
    (await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })).status,
    200,
  )
  await client.assets.completeUpload.mutate({ assetId: started.asset.id })
  await until(
    'the asset to be ready',
    async () => (await client.assets.get.query({ id: started.asset.id })).status === 'ready',
    60_000,
  )

  const find = (pred: (s: ReceivedSpan) => boolean) => otlp.spans.find(pred)
  const root = await until('the completeUpload span', async () => find((s) => s.name === 'trpc assets.completeUpload'))
  assert.is(root.service, 'cutroom-api')
  const inTrace = (name: string, parent: ReceivedSpan) =>
    until(
      `span "${name}" under "${parent.name}"`,
      async () => find((s) => s.name === name && s.traceId === root.traceId && s.parentSpanId === parent.spanId),
      20_000,
    )

  const dispatch = await inTrace('jobs.dispatch probe', root)
  assert.is(dispatch.service, 'cutroom-api')
  const job = await inTrace('job probe', dispatch)
  assert.is(job.service, 'cutroom-media-workers')
  const patch = await inTrace('collab patch artifacts', job)
  assert.is(patch.service, 'cutroom-collab')
  assert.is(patch.attributes['cutroom.job_kind'], 'probe')
  const recorded = await until('the api recording the probe result', async () =>
    find(
      (s) =>
        s.name === 'jobs.record event' &&
        s.parentSpanId === job.spanId &&
        s.attributes['cutroom.job_status'] === 'succeeded',
    ),
  )
  assert.is(recorded.traceId, root.traceId)
  // the follow-ups the probe's result dispatched stay in the upload's trace, and so do their patches
  const transcodeDispatch = await inTrace('jobs.dispatch transcode', recorded)
  const transcode = await inTrace('job transcode', transcodeDispatch)
  await inTrace('collab patch artifacts', transcode)
  assert.ok(otlp.spans.filter((s) => s.traceId === root.traceId).length >= 10)
  // the sign-up before it was a trace of its own
  const signUp = find((s) => s.name === 'trpc auth.signUp')!
  assert.is.not(signUp.traceId, root.traceId)

  const metrics = await (await fetch(worker.healthUrl.replace('/healthz', '/metrics'))).text()
  for (const kind of ['probe', 'transcode', 'thumbnails', 'waveform']) {
    // two transcodes: the fast preview rendition and the ladder after it
    const runs = kind === 'transcode' ? 2 : 1
    assert.is(sample(metrics, `cutroom_worker_jobs_total{kind="${kind}",outcome="succeeded"}`), runs, kind)
    assert.is(
      sample(metrics, `cutroom_worker_job_duration_seconds_count{kind="${kind}",outcome="succeeded"}`),
      runs,
      kind,
    )
    assert.is(sample(metrics, `cutroom_worker_queue_depth{kind="${kind}"}`), 0, kind)
    assert.is(sample(metrics, `cutroom_worker_jobs_running{kind="${kind}"}`), 0, kind)
  }
  assert.ok(sample(metrics, 'cutroom_worker_job_duration_seconds_sum{kind="transcode",outcome="succeeded"}')! > 0)
  // probe + the follow-ups each probe the source once; transcode, thumbnails and waveform run ffmpeg
  assert.ok(sample(metrics, 'cutroom_worker_tool_duration_seconds_count{tool="ffprobe",path="cpu"}')! >= 1)
  const ffmpegRuns = ['cpu', 'gpu'].reduce(
    (n, p) => n + (sample(metrics, `cutroom_worker_tool_duration_seconds_count{tool="ffmpeg",path="${p}"}`) ?? 0),
    0,
  )
  assert.ok(ffmpegRuns >= 3, `${ffmpegRuns} ffmpeg runs`)
  const health = (await (await fetch(worker.healthUrl)).json()) as {
    capabilities: { videoEncoder: string; nvenc: boolean; cuda: boolean }
  }
  const gpu = health.capabilities.nvenc || health.capabilities.cuda
  assert.match(
    metrics,
    new RegExp(
      `cutroom_worker_info\\{path="${gpu ? 'gpu' : 'cpu'}",video_encoder="${health.capabilities.videoEncoder}",`,
    ),
  )
})

/** The metric families a Prometheus text page declares (`# TYPE name kind`), with histograms' series names. */
function families(text: string): Set<string> {
  const names = new Set<string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!)
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${s}`)
  }
  return names
}

test('every metric the Grafana dashboard and the alert rules query is one the running services export', async () => {
  const scraped = await Promise.all(
    [`${api.url}/metrics`, `${collabUrl}/metrics`, worker.healthUrl.replace('/healthz', '/metrics')].map(async (u) =>
      (await fetch(u)).text(),
    ),
  )
  const exported = new Set(scraped.flatMap((t) => [...families(t)]))
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'infra/deploy/grafana/cutroom.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[]
  }
  const alerts = readFileSync(path.join(ROOT, 'infra/deploy/prometheus/alerts.yml'), 'utf8')
  const queried = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
    { where: 'alerts.yml', expr: alerts },
  ]
  assert.ok(dashboard.panels.length >= 10)
  let checked = 0
  for (const { where, expr } of queried) {
    const names = expr.match(/\bcutroom_[a-z0-9_]+/g) ?? []
    assert.ok(names.length > 0, `${where} queries a Cutroom metric`)
    for (const name of names) {
      assert.ok(exported.has(name), `${where} queries ${name}, which no service exports`)
      checked++
    }
  }
  assert.ok(checked >= 20)
})

test.run()
