/**
 * Media pipeline benchmark: wall time of each job kind on a 60-second 1080p clip through the whole worker path
 * (JetStream dispatch -> worker process -> S3 download -> ffmpeg -> S3 upload -> result on EVENTS), against the
 * bare ffmpeg/ffprobe command with exactly the arguments the worker uses, in the same run. Then jobs per minute
 * with one and with two worker processes. Writes the `media` section of docs/benchmarks.md.
 *
 *   npm run bench media
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { freePort, startTestNats, startTestS3 } from '@cutroom/infra'
import {
  FfmpegAdapter,
  generateTestClip,
  ladderFor,
  mediaInfoFrom,
  S3Storage,
  spriteLayout,
  thumbnailsSpec,
  transcodeSpec,
  waveformSpec,
} from '@cutroom/media-workers'
import { type JobEvent, JobEventSchema, type JobKind, jobMessageId, Subjects, WorkersEnv } from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { machineInfo, writeBenchSection } from './report'

const ROOT = path.resolve(import.meta.dirname, '../..')
const REPS = Number(process.env.MEDIA_BENCH_REPS ?? 3)
const CLIP_SECONDS = 60
const KINDS: JobKind[] = ['probe', 'transcode', 'thumbnails', 'waveform']

const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-media-bench-'))
const [nats, s3] = await Promise.all([startTestNats(), startTestS3()])
const config = WorkersEnv.parse({ NATS_URL: nats.url, DATABASE_URL: 'postgres://unused@127.0.0.1/unused', ...s3.env })
const storage = new S3Storage(config)
const ffmpeg = new FfmpegAdapter()
const nc = await connect({ servers: nats.url })
const js = jetstream(nc)
const events = new Map<string, JobEvent>()
nc.subscribe(Subjects.allEvents, {
  callback: (_e, m) => {
    const ev = JobEventSchema.parse(m.json())
    if (ev.final && ev.status !== 'running') events.set(ev.jobId, ev)
  },
})
const orgId = randomUUID()
const projectId = randomUUID()
const log = (s: string) => process.stdout.write(`${s}\n`)

function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now()
  return f().then((v) => [(performance.now() - started) / 1000, v])
}

/** Runs a command to the end, draining its output; rejects on a non-zero exit. */
function runBare(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stdout.resume()
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-2000)
    })
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${err}`))))
  })
}

async function startWorker(extra: Record<string, string> = {}): Promise<ChildProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'media-workers/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      DATABASE_URL: config.DATABASE_URL,
      ...s3.env,
      WORKERS_HEALTH_PORT: String(port),
      LOG_LEVEL: 'warn',
      ...extra,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  for (;;) {
    if (child.exitCode !== null) throw new Error('worker exited at start')
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child
    await new Promise((r) => setTimeout(r, 100))
  }
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

function inputFor(
  kind: JobKind,
  assetId: string,
  sourceKey: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  if (kind === 'transcode') return { assetId, sourceKey, heights: [360, 720], ...extra }
  if (kind === 'thumbnails') return { assetId, sourceKey, tileWidth: 160 }
  return { assetId, sourceKey }
}

async function dispatch(
  kind: JobKind,
  assetId: string,
  sourceKey: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const jobId = randomUUID()
  await js.publish(
    Subjects.job(kind),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind, input: inputFor(kind, assetId, sourceKey, extra) }),
    {
      msgID: jobMessageId(jobId, 1),
    },
  )
  return jobId
}

async function finished(jobId: string): Promise<JobEvent> {
  for (;;) {
    const ev = events.get(jobId)
    if (ev) {
      if (ev.status !== 'succeeded') throw new Error(`${ev.kind} ${ev.status}: ${ev.error}`)
      return ev
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function uploadClip(file: string): Promise<{ assetId: string; sourceKey: string }> {
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${path.basename(file)}`
  await storage.uploadFile(sourceKey, file, 'video/mp4')
  return { assetId, sourceKey }
}

const loadBefore = loadavg()[1]!
try {
  // --- the clip ---------------------------------------------------------------------------------------
  const clip = path.join(dir, 'clip-1080p.mp4')
  log(`generating a ${CLIP_SECONDS} s 1920x1080 test clip...`)
  await generateTestClip(clip, { seconds: CLIP_SECONDS, width: 1920, height: 1080, fps: '25', preset: 'veryfast' })
  const clipBytes = statSync(clip).size
  const asset = await uploadClip(clip)
  const info = mediaInfoFrom(await ffmpeg.probe(clip))

  // the workers' own specs, run bare on a local file
  const bareOut = path.join(dir, 'bare')
  const bare: Record<JobKind, () => Promise<void>> = {
    probe: () => runBare(ffmpeg.ffprobePath, ['-show_streams', '-show_format', '-print_format', 'json', clip]),
    transcode: async () => {
      rmSync(bareOut, { recursive: true, force: true })
      const rungs = ladderFor(info, [360, 720])
      for (let i = 0; i < rungs.length; i++) mkdirSync(path.join(bareOut, `v${i}`), { recursive: true })
      await runBare(ffmpeg.ffmpegPath, ffmpeg.args(transcodeSpec(clip, bareOut, info, rungs, 'libx264')))
    },
    thumbnails: async () => {
      mkdirSync(bareOut, { recursive: true })
      await runBare(
        ffmpeg.ffmpegPath,
        ffmpeg.args(thumbnailsSpec(clip, path.join(bareOut, 'sprite.jpg'), spriteLayout(info, 160))),
      )
    },
    waveform: () =>
      runBare(ffmpeg.ffmpegPath, ffmpeg.args(waveformSpec(clip, info.audio!.sampleRate, new PassThrough()))),
  } as Record<JobKind, () => Promise<void>>

  // --- per kind: bare vs job, alternating, one worker doing one job at a time ------------------------
  const worker = await startWorker({ WORKER_CONCURRENCY: '1', WORKER_FORCE_CPU: 'true' })
  const rows: string[] = []
  for (const kind of KINDS) {
    const bareTimes: number[] = []
    const jobTimes: number[] = []
    for (let r = 0; r < REPS; r++) {
      bareTimes.push((await time(bare[kind]))[0])
      jobTimes.push((await time(async () => finished(await dispatch(kind, asset.assetId, asset.sourceKey))))[0])
    }
    const b = Math.min(...bareTimes)
    const j = Math.min(...jobTimes)
    const overhead = ((j - b) / b) * 100
    log(
      `${kind}: bare ${bareTimes.map((t) => t.toFixed(2)).join(', ')} s; job ${jobTimes.map((t) => t.toFixed(2)).join(', ')} s; overhead ${overhead.toFixed(1)}%`,
    )
    rows.push(
      `| ${kind} | ${b.toFixed(2)} | ${j.toFixed(2)} | ${(j - b).toFixed(2)} | ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}% |`,
    )
  }
  await stopWorker(worker)

  // --- throughput: whole pipelines on short clips, one worker vs two --------------------------------
  const short = path.join(dir, 'clip-720p-10s.mp4')
  await generateTestClip(short, { seconds: 10, width: 1280, height: 720, fps: '25' })
  const ASSETS = 4
  const throughput: string[] = []
  for (const count of [1, 2]) {
    const assets = await Promise.all(Array.from({ length: ASSETS }, () => uploadClip(short)))
    const workers = await Promise.all(
      Array.from({ length: count }, () => startWorker({ WORKER_CONCURRENCY: '1', WORKER_FORCE_CPU: 'true' })),
    )
    const [seconds] = await time(async () => {
      const ids = []
      for (const a of assets) for (const kind of KINDS) ids.push(await dispatch(kind, a.assetId, a.sourceKey))
      await Promise.all(ids.map(finished))
    })
    await Promise.all(workers.map(stopWorker))
    const jobs = ASSETS * KINDS.length
    log(`${count} worker(s): ${jobs} jobs in ${seconds.toFixed(1)} s = ${((jobs / seconds) * 60).toFixed(1)} jobs/min`)
    throughput.push(`| ${count} | ${jobs} | ${seconds.toFixed(1)} | ${((jobs / seconds) * 60).toFixed(1)} |`)
  }

  // --- first playable proxy: the upload's pipeline as the api runs it, on a 60 s and a long source ---------
  // probe; then the waveform, the preview rendition and thumbnails at once; the ladder after the preview
  const firstProxy: string[] = []
  const firstTargets: string[] = []
  const LONG_SECONDS = Number(process.env.MEDIA_BENCH_LONG_SECONDS ?? 600)
  for (const seconds of [CLIP_SECONDS, LONG_SECONDS]) {
    const source = seconds === CLIP_SECONDS ? clip : path.join(dir, `clip-1080p-${seconds}s.mp4`)
    if (source !== clip) {
      log(`generating a ${seconds} s 1920x1080 test clip...`)
      await generateTestClip(source, { seconds, width: 1920, height: 1080, fps: '25', preset: 'ultrafast' })
    }
    const a = source === clip ? asset : await uploadClip(source)
    const sourceInfo = source === clip ? info : mediaInfoFrom(await ffmpeg.probe(source))
    const previewOut = path.join(dir, 'bare-preview')
    rmSync(previewOut, { recursive: true, force: true })
    mkdirSync(path.join(previewOut, 'v0'), { recursive: true })
    const previewRungs = ladderFor(sourceInfo, [360, 720]).slice(0, 1)
    const [barePreview] = await time(() =>
      runBare(
        ffmpeg.ffmpegPath,
        ffmpeg.args(transcodeSpec(source, previewOut, sourceInfo, previewRungs, 'libx264', { preview: true })),
      ),
    )
    const pipelineWorker = await startWorker({ WORKER_FORCE_CPU: 'true' })
    const t0 = performance.now()
    const at = (): number => (performance.now() - t0) / 1000
    await finished(await dispatch('probe', a.assetId, a.sourceKey))
    const probed = at()
    // in the api's order (EventsRecorder's follow-ups): waveform, preview, filmstrip
    const waveId = await dispatch('waveform', a.assetId, a.sourceKey)
    const previewId = await dispatch('transcode', a.assetId, a.sourceKey, { preview: true })
    const thumbsId = await dispatch('thumbnails', a.assetId, a.sourceKey)
    const done: Record<string, number> = {}
    const track = (name: string, id: string) => finished(id).then(() => (done[name] = at()))
    const waitLadder = seconds <= CLIP_SECONDS
    await Promise.all([
      track('preview', previewId).then(async () => {
        if (waitLadder) await track('ladder', await dispatch('transcode', a.assetId, a.sourceKey))
      }),
      track('thumbnails', thumbsId),
      track('waveform', waveId),
    ])
    await stopWorker(pipelineWorker)
    const x = (t: number | undefined) =>
      t === undefined ? 'not waited for' : `${t.toFixed(1)} s (${(t / seconds).toFixed(3)}x)`
    log(
      `${seconds} s source: probe ${probed.toFixed(1)} s, preview ${x(done.preview)}, filmstrip ${x(done.thumbnails)}, waveform ${x(done.waveform)}, ladder ${x(done.ladder)}; bare preview ${barePreview.toFixed(1)} s`,
    )
    firstProxy.push(
      `| ${seconds} s | ${probed.toFixed(1)} | ${x(done.preview)} | ${barePreview.toFixed(1)} | ${x(done.thumbnails)} | ${x(done.waveform)} | ${x(done.ladder)} |`,
    )
    const verdict = (name: string, t: number | undefined, target: number) =>
      t === undefined
        ? `${name}: not measured`
        : `${name} ${(t / seconds).toFixed(3)}x against ${target}x: ${t / seconds <= target ? 'met' : `missed by ${(t / seconds - target).toFixed(3)}x`}`
    firstTargets.push(
      `- ${seconds} s source: ${verdict('preview', done.preview, 0.25)}; ${verdict('filmstrip', done.thumbnails, 0.1)}; ${verdict('waveform', done.waveform, 0.1)}; the preview encode alone takes ${(barePreview / seconds).toFixed(3)}x.`,
    )
  }

  const markdown = `## Media pipeline

Each job kind on a ${CLIP_SECONDS}-second 1920x1080 25 fps H.264/AAC clip (${(clipBytes / 1024 ** 2).toFixed(1)} MiB, lavfi
testsrc2 + sine), best of ${REPS} (each repetition runs bare, then the job). **bare** runs ffmpeg (ffprobe for probe) on a local file with exactly the
arguments the worker builds (\`FfmpegAdapter.args(spec)\`); **job** is the whole path: publish to JetStream, a
media-workers process pulls it, checks the source in S3 (s3rver), runs ffprobe and then ffmpeg through the adapter
on a presigned URL of it, uploads the artifacts to S3 and publishes the result on EVENTS, where the clock stops. CPU encoding (libx264, ladder
360p + 720p); one job at a time (\`WORKER_CONCURRENCY=1\`).

| job | bare ffmpeg (s) | job (s) | difference (s) | overhead |
| --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

First playable proxy: from the end of the upload (the probe's dispatch) on a 1920x1080 25 fps source, the jobs the
api runs, in its order, on one worker process (default concurrency 2): the probe, then the waveform (dispatched first:
it needs well under a second), the preview rendition (one 360p rung, x264 \`ultrafast\`) and the filmstrip on the
worker's two slots, then the 360p + 720p ladder after the preview, which replaces it live. Each figure is the time since the upload ended and as a multiple of the clip's length. Targets:
playable within 0.25x, filmstrip and waveform within 0.1x. **bare preview** is the same preview encode run alone.
Before this, the first playable proxy was the ladder (the transcode row above). The ladder of the long source is not
waited for (it takes about as long as the clip).

| source | probe (s) | preview playable | bare preview (s) | filmstrip | waveform | ladder |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${firstProxy.join('\n')}

${firstTargets.join('\n')}

Where a figure misses, why: the preview and the filmstrip run at the same time on a 2-core machine, each as one
ffmpeg that would use both cores alone, so each takes longer than alone (compare the preview with the bare
preview). The filmstrip decodes every frame of the 1080p source to pick one per second (its tiles are exact frames,
not nearest keyframes), which alone is about 0.1x of the clip here (the thumbnails row above). Both fit their
targets with one more core or a second worker machine; on one 2-core machine the dispatch order gives the preview a
slot before the filmstrip.

Throughput: ${ASSETS} assets of a 10-second 720p clip, each with its probe, transcode, thumbnails and waveform
jobs (${ASSETS * KINDS.length} jobs) dispatched at once, with one and with two worker processes (one job at a time each).

| workers | jobs | wall time (s) | jobs per minute |
| ---: | ---: | ---: | ---: |
${throughput.join('\n')}

The machine was shared with other work while this ran (5-minute load average ${loadBefore.toFixed(1)} at the start,
${loadavg()[1]!.toFixed(1)} at the end, on ${cpus().length} cores), so single figures move by tens of percent between repetitions; the
fixed cost of a job (dispatch, ffprobe of the source over HTTP, artifact upload, result event) is best read
from the short jobs (probe, waveform). ffmpeg already spreads one encode over every core, so on a 2-core machine a second
worker process adds contention rather than throughput; workers scale by adding machines (or GPUs).

Command: \`npm run bench media\` (repetitions: \`MEDIA_BENCH_REPS\`, default 3). Machine: ${machineInfo()}.`
  writeBenchSection('media', markdown)
  log(`${markdown}\n\nwrote the media section of docs/benchmarks.md`)
} finally {
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
