/**
 * Export benchmark: a 60 s 1080p timeline of 12 clips with captions and a narration track, rendered by the
 * export job in a worker process (JetStream dispatch -> S3 reads -> segments in parallel -> loudness -> mux ->
 * S3 multipart), next to bare ffmpeg running the same compiled commands with the same parallelism on the same
 * inputs. Then the worker's peak RSS (its process and its ffmpeg children) for a 1-minute and a 10-minute
 * timeline. Writes the `export` section of docs/benchmarks.md.
 *
 *   npm run bench export
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, startTestNats, startTestS3 } from '@cutroom/infra'
import {
  captionEvents,
  captionLook,
  compileRenderPlan,
  concatList,
  DEFAULT_FONTS_DIR,
  encoderArgs,
  FfmpegAdapter,
  type FfmpegSpec,
  loudnessFilter,
  loudnessMeasureSpec,
  muxSpec,
  parseLoudness,
  type ResolvedSource,
  S3Storage,
  segmentAss,
  segmentAudioSpec,
  segmentVideoSpec,
} from '@cutroom/media-workers'
import { type ExportInput, type JobEvent, JobEventSchema, jobMessageId, Subjects, WorkersEnv } from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { writeBenchSection } from './report'

const ROOT = path.resolve(import.meta.dirname, '../..')
const FPS = { num: 30000, den: 1001 }
const CLIPS = 12
const CLIP_FRAMES = 150 // 5.005 s each: 12 clips = 60 s
const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-export-bench-'))
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
const parallelism = Math.min(4, Math.max(1, availableParallelism()))
/** The memory runs render small pictures: what they compare is how memory grows with the timeline's length. */
const RSS_SIZE = { width: 320, height: 180 }

async function startWorker(): Promise<ChildProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'media-workers/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      DATABASE_URL: config.DATABASE_URL,
      ...s3.env,
      WORKERS_HEALTH_PORT: String(port),
      WORKER_KINDS: 'export',
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
      return child
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** RSS of a process and all its descendants (MiB), from /proc. */
function treeRssMiB(root: number): number {
  const parent = new Map<number, number>()
  const rss = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(pid, Number(fields[1]))
      rss.set(pid, (Number(fields[21]) * 4096) / 1024 ** 2)
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0
  for (const [pid, r] of rss) {
    let p: number | undefined = pid
    while (p && p !== root && p > 1) p = parent.get(p)
    if (p === root) total += r
  }
  return total
}

async function upload(file: string, hasVideo: boolean, hasAudio: boolean) {
  const assetId = randomUUID()
  const filename = path.basename(file)
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${filename}`
  await storage.uploadFile(sourceKey, file)
  return { assetId, sourceKey, filename, hasVideo, hasAudio }
}

type Source = Awaited<ReturnType<typeof upload>>

function timelineOf(clip: Source, voice: Source, clips: number, size: { width: number; height: number }): ExportInput {
  const assetId = randomUUID()
  const storyline: ExportInput['timeline']['storyline'] = Array.from({ length: clips }, (_, i) => ({
    kind: 'clip',
    id: `c${i}`,
    assetId: clip.assetId,
    sourceIn: 30 + ((i * 97) % 300),
    sourceOut: 30 + ((i * 97) % 300) + CLIP_FRAMES,
    label: `shot ${i + 1}`,
  }))
  const anchored: ExportInput['timeline']['anchored'] = []
  for (let i = 0; i < clips; i++) {
    anchored.push({
      id: `cap${i}`,
      track: 'caption',
      start: i * CLIP_FRAMES + 15,
      duration: 110,
      text: `Caption number ${i + 1} for this shot`,
    })
    if (i % 2 === 0)
      anchored.push({
        id: `n${i}`,
        track: 'narration',
        start: i * CLIP_FRAMES + 20,
        duration: 240,
        assetId: voice.assetId,
        sourceIn: 0,
      })
  }
  return {
    documentId: randomUUID(),
    versionId: null,
    preset: '1080p',
    assetId,
    outputKey: `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/export.mp4`,
    size,
    captions: { style: 'karaoke' },
    brandKit: null,
    sources: [clip, voice],
    timeline: { fps: FPS, width: 1920, height: 1080, sampleRate: 48000, storylineMuted: false, storyline, anchored },
  }
}

/** Dispatches an export to the worker and waits for it; returns wall seconds and the peak RSS of the worker tree. */
async function runJob(
  worker: ChildProcess,
  input: ExportInput,
): Promise<{ seconds: number; peakMiB: number; segments: number }> {
  const jobId = randomUUID()
  let peak = treeRssMiB(worker.pid!)
  const sampler = setInterval(() => {
    peak = Math.max(peak, treeRssMiB(worker.pid!))
  }, 200)
  const started = performance.now()
  await js.publish(
    Subjects.job('export'),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'export', input }),
    { msgID: jobMessageId(jobId, 1) },
  )
  try {
    for (;;) {
      const ev = events.get(jobId)
      if (ev) {
        if (ev.status !== 'succeeded') throw new Error(`export ${ev.status}: ${ev.error}`)
        return {
          seconds: (performance.now() - started) / 1000,
          peakMiB: peak,
          segments: Number((ev.result as { segments?: number }).segments),
        }
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    clearInterval(sampler)
  }
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

/** The job's compiled commands, run bare: same plan, same specs, same parallelism, same S3 inputs; no upload. */
async function runBare(input: ExportInput): Promise<number> {
  const work = path.join(dir, `bare-${randomUUID()}`)
  mkdirSync(work)
  const sources = new Map<string, ResolvedSource>()
  for (const s of input.sources)
    sources.set(s.assetId, {
      url: await storage.readUrl(s.sourceKey),
      hasVideo: s.hasVideo,
      hasAudio: s.hasAudio,
      still: false,
    })
  const started = performance.now()
  const plan = compileRenderPlan(input, { parallelism })
  const look = captionLook(input.captions!.style, null)
  const evts = captionEvents(plan.captions, look)
  const encode = encoderArgs('libx264', plan.fps)
  const fontsDir = path.join(work, 'fonts')
  mkdirSync(fontsDir)
  for (const f of readdirSync(DEFAULT_FONTS_DIR))
    writeFileSync(path.join(fontsDir, f), readFileSync(path.join(DEFAULT_FONTS_DIR, f)))
  const videos: string[] = []
  const audios: string[] = []
  const tasks = plan.segments.flatMap((seg) => [
    { kind: 'video' as const, seg },
    { kind: 'audio' as const, seg },
  ])
  await pool(tasks, parallelism, async ({ kind, seg }) => {
    if (kind === 'video') {
      const ass = path.join(work, `c${seg.index}.ass`)
      writeFileSync(ass, segmentAss(evts, seg, plan.fps, look, plan.size!.width, plan.size!.height))
      const out = path.join(work, `v${seg.index}.mp4`)
      videos[seg.index] = out
      await ffmpeg.run(
        segmentVideoSpec(plan, seg, sources, out, {
          captions: { assFile: ass, fontsDir },
          watermark: null,
          encoderArgs: encode,
        }),
      )
    } else {
      const out = path.join(work, `a${seg.index}.wav`)
      audios[seg.index] = out
      await ffmpeg.run(segmentAudioSpec(plan, seg, sources, out))
    }
  })
  const audioList = path.join(work, 'audio.ffconcat')
  writeFileSync(audioList, concatList(audios))
  const lines: string[] = []
  await ffmpeg.run(loudnessMeasureSpec(audioList), { onStderr: (l) => lines.push(l) })
  const videoList = path.join(work, 'video.ffconcat')
  writeFileSync(videoList, concatList(videos))
  const mux: FfmpegSpec = muxSpec(
    videoList,
    audioList,
    loudnessFilter(parseLoudness(lines), plan.totalSamples),
    path.join(work, 'out.mp4'),
  )
  await ffmpeg.run(mux)
  const seconds = (performance.now() - started) / 1000
  rmSync(work, { recursive: true, force: true })
  return seconds
}

const loadBefore = loadavg()[1]!
let worker: ChildProcess | null = null
try {
  log('generating sources (a 20 s 1080p clip, a 640x360 one, and a narration)...')
  const make = async (name: string, inputs: FfmpegSpec['inputs'], options: string[]) => {
    const file = path.join(dir, name)
    await ffmpeg.run({ inputs, outputs: [{ target: file, options }] })
    return file
  }
  const hd = await make(
    'source-1080p.mp4',
    [
      { path: 'testsrc2=size=1920x1080:rate=30000/1001:duration=20', options: ['-f', 'lavfi'] },
      { path: 'sine=frequency=220:sample_rate=48000:duration=20', options: ['-f', 'lavfi'] },
    ],
    ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '120', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-t', '20'],
  )
  const sd = await make(
    'source-360p.mp4',
    [
      { path: 'testsrc2=size=640x360:rate=30000/1001:duration=20', options: ['-f', 'lavfi'] },
      { path: 'sine=frequency=220:sample_rate=48000:duration=20', options: ['-f', 'lavfi'] },
    ],
    ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '120', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-t', '20'],
  )
  const voice = await make(
    'narration.wav',
    [{ path: 'sine=frequency=600:sample_rate=48000:duration=9', options: ['-f', 'lavfi'] }],
    ['-af', 'volume=-8dB,tremolo=f=3:d=0.7', '-c:a', 'pcm_s16le'],
  )
  const [hdSrc, sdSrc, voiceSrc] = [
    await upload(hd, true, true),
    await upload(sd, true, true),
    await upload(voice, false, true),
  ]
  worker = await startWorker()

  const input = timelineOf(hdSrc, voiceSrc, CLIPS, { width: 1920, height: 1080 })
  const media = (CLIPS * CLIP_FRAMES * FPS.den) / FPS.num
  log(`60 s 1080p timeline, ${CLIPS} clips, captions (karaoke) and narration; ${parallelism} segments at a time`)
  const job = await runJob(worker, input)
  log(
    `export job: ${job.seconds.toFixed(1)} s (${job.segments} segments), ${(media / job.seconds).toFixed(2)}x real time, peak RSS ${job.peakMiB.toFixed(0)} MiB`,
  )
  const bare = await runBare(timelineOf(hdSrc, voiceSrc, CLIPS, { width: 1920, height: 1080 }))
  log(`bare ffmpeg, same commands: ${bare.toFixed(1)} s, ${(media / bare).toFixed(2)}x real time`)
  const overhead = ((job.seconds - bare) / bare) * 100

  log(`peak RSS, ${RSS_SIZE.width}x${RSS_SIZE.height} output: 1-minute vs 10-minute timeline...`)
  const oneMin = await runJob(worker, timelineOf(sdSrc, voiceSrc, CLIPS, RSS_SIZE))
  const tenMin = await runJob(worker, timelineOf(sdSrc, voiceSrc, CLIPS * 10, RSS_SIZE))
  log(
    `1 min: ${oneMin.peakMiB.toFixed(0)} MiB (${oneMin.seconds.toFixed(1)} s); 10 min: ${tenMin.peakMiB.toFixed(0)} MiB (${tenMin.seconds.toFixed(1)} s)`,
  )
  const growth = ((tenMin.peakMiB - oneMin.peakMiB) / oneMin.peakMiB) * 100
  const loadAfter = loadavg()[1]!

  const pass = (ok: boolean) => (ok ? 'met' : 'not met')
  writeBenchSection(
    'export',
    `## Export (\`npm run bench export\`)

A 60 s timeline (12 clips of 150 frames at 29.97 fps from a 1080p H.264 source, karaoke captions on every clip,
narration on every other one, ducked and loudness-normalized) exported at 1080p with libx264 (\`veryfast\`, CRF 20)
by the export job in a worker process, next to bare ffmpeg running the same compiled commands with the same
parallelism (${parallelism} segments at a time) on the same S3 inputs, without the upload. Peak RSS is the worker
process plus its ffmpeg children, sampled every 200 ms, for a 1-minute and a 10-minute timeline (${RSS_SIZE.width}x${RSS_SIZE.height}
output from a 640x360 source, the same clips, captions and narration repeated).

| measure | figure | target |
| --- | --- | --- |
| export job, 60 s at 1080p | ${job.seconds.toFixed(1)} s (${job.segments} segments) | |
| bare ffmpeg, same commands | ${bare.toFixed(1)} s | |
| job overhead | ${overhead.toFixed(1)}% | <= 10%: ${pass(overhead <= 10)} |
| speed (job) | ${(media / job.seconds).toFixed(2)}x real time | >= 2x: ${pass(media / job.seconds >= 2)} |
| peak RSS, 1-minute timeline | ${oneMin.peakMiB.toFixed(0)} MiB | |
| peak RSS, 10-minute timeline | ${tenMin.peakMiB.toFixed(0)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%) | within +20%: ${pass(growth <= 20)} |

The machine is shared with other work: load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after the
run on ${availableParallelism()} cores, so wall times (and the speed) are lower than on an idle machine; the job and the bare
commands ran back to back under the same load.

The bare commands alone run at ${(media / bare).toFixed(2)}x real time: the speed the job can reach on this machine with
the default preset is bounded by the encode itself (libx264 at 1080p and the caption and mix filter graph on
${availableParallelism()} cores), not by the job; the job adds its S3 reads, the loudness pass, the mux and the multipart
upload on top (the overhead row). ${media / bare >= 2 ? '' : 'Reaching 2x needs more cores, a faster preset, or NVENC on a GPU worker.'}`,
  )
  log('wrote the export section of docs/benchmarks.md')
} finally {
  if (worker && worker.exitCode === null) {
    const w = worker
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve())
      w.kill('SIGTERM')
    })
  }
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
}
