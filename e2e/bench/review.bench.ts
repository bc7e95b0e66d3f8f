/**
 * Review benchmark: the framediff job on a 60-second 1080p pair (version B = A with a box drawn on a stretch of
 * frames) through the whole worker path, in frames compared per second, next to ffmpeg's own `-lavfi ssim` on the
 * same files in the same run (at full size, and on the same 360p grid the worker uses), and the decode alone
 * (the worker's exact ffmpeg arguments, output discarded). Then the worker's peak memory on the 60 s pair against
 * a pair three times longer: the job streams frames, so memory should not grow with the clip. Writes the
 * `review` section of docs/benchmarks.md.
 *
 *   npm run bench review
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, startTestNats, startTestS3 } from '@cutroom/infra'
import {
  FfmpegAdapter,
  framediffPlan,
  framediffSpec,
  generateTestClip,
  mediaInfoFrom,
  S3Storage,
} from '@cutroom/media-workers'
import { type JobEvent, JobEventSchema, jobMessageId, Subjects, WorkersEnv } from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { machineInfo, writeBenchSection } from './report'

const ROOT = path.resolve(import.meta.dirname, '../..')
const REPS = Number(process.env.REVIEW_BENCH_REPS ?? 2)
const CLIP_SECONDS = 60
const LONG_SECONDS = 180
const FPS = 25
const BOX = "drawbox=x=1200:y=200:w=480:h=320:color=red@1:t=fill:enable='between(n,500,749)'"

const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-review-bench-'))
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

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now()
  const v = await f()
  return [(performance.now() - started) / 1000, v]
}

/** Runs a command to the end, draining its output; resolves with its stderr tail; rejects on a non-zero exit. */
function runBare(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stdout.resume()
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000)
    })
    child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`${command} exited ${code}: ${err}`))))
  })
}

async function startWorker(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'media-workers/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      DATABASE_URL: config.DATABASE_URL,
      ...s3.env,
      WORKERS_HEALTH_PORT: String(port),
      WORKER_KINDS: 'framediff',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
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
      return { child, port }
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

/** Resident memory of a process in MiB (Linux /proc), 0 once it is gone. */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

async function uploadClip(file: string): Promise<{ assetId: string; sourceKey: string }> {
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${path.basename(file)}`
  await storage.uploadFile(sourceKey, file, 'video/mp4')
  return { assetId, sourceKey }
}

/** Runs one framediff job and samples the worker's memory until the result arrives. */
async function runJob(
  worker: ChildProcess,
  a: { assetId: string; sourceKey: string },
  b: { assetId: string; sourceKey: string },
): Promise<{ seconds: number; frames: number; peakMiB: number; provider: string }> {
  const jobId = randomUUID()
  let peak = rssMiB(worker.pid!)
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(worker.pid!))
  }, 100)
  const [seconds, ev] = await time(async () => {
    await js.publish(
      Subjects.job('framediff'),
      JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'framediff', input: { assetA: a, assetB: b } }),
      { msgID: jobMessageId(jobId, 1) },
    )
    for (;;) {
      const found = events.get(jobId)
      if (found) return found
      await new Promise((r) => setTimeout(r, 20))
    }
  })
  clearInterval(sampler)
  if (ev.status !== 'succeeded') throw new Error(`framediff ${ev.status}: ${ev.error}`)
  const result = ev.result as { compared: { frames: number }; provider: string }
  return { seconds, frames: result.compared.frames, peakMiB: peak, provider: result.provider }
}

const loadBefore = loadavg()[1]!
try {
  log(`generating a ${CLIP_SECONDS} s 1920x1080 pair and a ${LONG_SECONDS} s one...`)
  const fileA = path.join(dir, 'a-60.mp4')
  const fileB = path.join(dir, 'b-60.mp4')
  const longA = path.join(dir, 'a-180.mp4')
  const longB = path.join(dir, 'b-180.mp4')
  const clip = { width: 1920, height: 1080, fps: String(FPS), audio: false, preset: 'veryfast' }
  await generateTestClip(fileA, { ...clip, seconds: CLIP_SECONDS })
  await generateTestClip(fileB, { ...clip, seconds: CLIP_SECONDS, videoFilter: BOX })
  await generateTestClip(longA, { ...clip, seconds: LONG_SECONDS })
  await generateTestClip(longB, { ...clip, seconds: LONG_SECONDS, videoFilter: BOX })
  const mib = (f: string) => (statSync(f).size / 1024 ** 2).toFixed(1)
  const plan = framediffPlan(mediaInfoFrom(await ffmpeg.probe(fileA)), mediaInfoFrom(await ffmpeg.probe(fileB)))
  const frames = CLIP_SECONDS * FPS

  // the bare references, on local files
  const decodeOnly = ffmpeg.args({
    ...framediffSpec(fileA, fileB, plan),
    outputs: [{ target: '-', options: framediffSpec(fileA, fileB, plan).outputOptions }],
  })
  const grid = `setpts=PTS-STARTPTS,fps=${FPS},scale=${plan.width}:${plan.height}:flags=area,format=gray`
  const bare: Record<string, string[]> = {
    'ffmpeg -lavfi ssim, 1080p': [
      '-hide_banner',
      '-i',
      fileA,
      '-i',
      fileB,
      '-lavfi',
      '[0:v][1:v]ssim',
      '-f',
      'null',
      '-',
    ],
    [`ffmpeg -lavfi ssim, ${plan.height}p (the worker's grid)`]: [
      '-hide_banner',
      '-i',
      fileA,
      '-i',
      fileB,
      '-lavfi',
      `[0:v]${grid}[a];[1:v]${grid}[b];[a][b]ssim`,
      '-f',
      'null',
      '-',
    ],
    "decode only (the worker's ffmpeg arguments)": decodeOnly,
  }

  const worker = await startWorker()
  const bareBest: Record<string, number> = {}
  const jobTimes: number[] = []
  let provider = 'cpu'
  let peak60 = 0
  for (let r = 0; r < REPS; r++) {
    for (const [name, args] of Object.entries(bare)) {
      const [s] = await time(() => runBare(ffmpeg.ffmpegPath, args))
      bareBest[name] = Math.min(bareBest[name] ?? Number.POSITIVE_INFINITY, s)
      log(`${name}: ${s.toFixed(2)} s`)
    }
    const [a, b] = await Promise.all([uploadClip(fileA), uploadClip(fileB)])
    const job = await runJob(worker.child, a, b)
    if (job.frames !== frames) throw new Error(`the job compared ${job.frames} frames, expected ${frames}`)
    jobTimes.push(job.seconds)
    provider = job.provider
    peak60 = Math.max(peak60, job.peakMiB)
    log(`framediff job: ${job.seconds.toFixed(2)} s, peak worker RSS ${job.peakMiB.toFixed(0)} MiB`)
  }
  const [la, lb] = await Promise.all([uploadClip(longA), uploadClip(longB)])
  const long = await runJob(worker.child, la, lb)
  log(`framediff job, ${LONG_SECONDS} s: ${long.seconds.toFixed(2)} s, peak worker RSS ${long.peakMiB.toFixed(0)} MiB`)
  await stopWorker(worker.child)

  const jobBest = Math.min(...jobTimes)
  const fps = (s: number, n = frames) => (n / s).toFixed(1)
  const rows = [
    `| framediff job (${plan.width}x${plan.height}, ONNX Runtime ${provider}, whole path) | ${jobBest.toFixed(2)} | ${fps(jobBest)} |`,
    ...Object.entries(bareBest).map(([name, s]) => `| ${name} | ${s.toFixed(2)} | ${fps(s)} |`),
  ]
  const markdown = `## Review: framediff

Version A: a ${CLIP_SECONDS}-second 1920x1080 ${FPS} fps H.264 clip (lavfi testsrc2, ${mib(fileA)} MiB); version B: the same with a
box drawn on frames 500-749 (${mib(fileB)} MiB); ${frames} frame pairs. Best of ${REPS}. **framediff job** is the whole path: publish
to JetStream, a media-workers process (\`WORKER_KINDS=framediff\`) probes both versions in S3 (s3rver), ffmpeg decodes
both onto A's grid at ${plan.width}x${plan.height} luma into the pipe, ONNX Runtime computes the SSIM maps in batches of 8,
the heatmap sheets are encoded, the artifacts uploaded and the result published on EVENTS, where the clock stops.
The ffmpeg rows run on the local files in the same run: its \`ssim\` filter at full size and on the worker's grid
(same scale and luma), and the worker's decode alone with the output discarded.

| what | seconds | frames per second |
| --- | ---: | ---: |
${rows.join('\n')}

Worker memory (peak resident set of the worker process, sampled every 100 ms during the job):

| pair | frames | job (s) | peak RSS (MiB) |
| --- | ---: | ---: | ---: |
| ${CLIP_SECONDS} s 1080p | ${frames} | ${jobBest.toFixed(2)} | ${peak60.toFixed(0)} |
| ${LONG_SECONDS} s 1080p | ${long.frames} | ${long.seconds.toFixed(2)} | ${long.peakMiB.toFixed(0)} |

Frames are streamed (a few frame pairs in the pipe, one batch in ONNX Runtime), so memory should stay flat as the
clip grows; what grows is the per-frame score list and the heatmap tiles on disk. 5-minute load average
${loadBefore.toFixed(1)} at the start, ${loadavg()[1]!.toFixed(1)} at the end, on ${cpus().length} cores.

Command: \`npm run bench review\` (repetitions: \`REVIEW_BENCH_REPS\`, default 2). Machine: ${machineInfo()}.`
  writeBenchSection('review', markdown)
  log(`${markdown}\n\nwrote the review section of docs/benchmarks.md`)
} finally {
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
