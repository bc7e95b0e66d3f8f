import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import {
  type ExportInput,
  ExportResultSchema,
  type JobEvent,
  JobEventSchema,
  JobProgressSchema,
  jobMessageId,
  Subjects,
  WorkersEnv,
} from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { detectCapabilities } from '../detectCapabilities'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { type MediaWorkers, startMediaWorkers } from '../MediaWorkers'
import { S3Storage } from '../S3Storage'
import { createExportJob } from './export'

/**
 * Golden tests of the export job on real ffmpeg, NATS and s3rver. The source has its frame number burned in, so
 * every output frame can be traced back to the source frame it came from.
 */
const log = pino({ level: 'silent' })
const ffmpeg = new FfmpegAdapter()
const pids: number[] = []
ffmpeg.onSpawn = (pid) => pids.push(pid)
let nats: TestNats
let s3: TestS3
let nc: NatsConnection
let storage: S3Storage
let workers: MediaWorkers
let dir: string
const events: JobEvent[] = []
const orgId = randomUUID()
const projectId = randomUUID()
const FPS = { num: 30000, den: 1001 }
const W = 160
const H = 90
/** S3 commands the workers sent, in order (observed through the client's middleware). */
const s3Commands: { name: string; input: Record<string, unknown> }[] = []
/** Slows each part upload, so a cancel lands while ffmpeg is still writing the output. */
let partDelayMs = 0

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '1',
  WORKER_RETRY_BACKOFF_MS: '200',
  WORKER_ACK_WAIT_MS: '10000',
  WORKER_CONCURRENCY: '1',
  WORKER_KINDS: 'export',
})

interface Source {
  assetId: string
  sourceKey: string
  filename: string
  hasVideo: boolean
  hasAudio: boolean
}

async function makeMedia(name: string, inputs: { path: string; options: string[] }[], options: string[]): Promise<string> {
  const file = path.join(dir, name)
  await ffmpeg.run({ inputs, outputs: [{ target: file, options }] })
  return file
}

async function upload(file: string, hasVideo = true, hasAudio = true): Promise<Source> {
  const assetId = randomUUID()
  const filename = path.basename(file)
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${filename}`
  await storage.uploadFile(sourceKey, file)
  return { assetId, sourceKey, filename, hasVideo, hasAudio }
}

function exportInput(
  timeline: Partial<ExportInput['timeline']> & Pick<ExportInput['timeline'], 'storyline'>,
  sources: Source[],
  extra: Partial<ExportInput> = {},
): ExportInput {
  const assetId = randomUUID()
  return {
    documentId: randomUUID(),
    versionId: null,
    preset: '720p',
    assetId,
    outputKey: `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/export.mp4`,
    size: { width: W, height: H },
    captions: null,
    brandKit: null,
    sources,
    ...extra,
    timeline: { fps: FPS, width: W, height: H, sampleRate: 48000, storylineMuted: false, anchored: [], ...timeline },
  }
}

async function dispatch(input: ExportInput, jobId = randomUUID()): Promise<string> {
  await jetstream(nc).publish(Subjects.job('export'), JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'export', input }), {
    msgID: jobMessageId(jobId, 1),
  })
  return jobId
}

async function finalEvent(jobId: string, timeoutMs = 300_000): Promise<JobEvent> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (found) return found
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for ${jobId}`)
}

async function download(key: string, name: string): Promise<string> {
  const res = await storage.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
  const file = path.join(dir, name)
  writeFileSync(file, Buffer.from(await res.Body!.transformToByteArray()))
  return file
}

/** Every frame of a file as 8-bit luma at its own size. */
async function lumaFrames(file: string, w = W, h = H): Promise<Buffer[]> {
  const frames: Buffer[] = []
  for await (const f of ffmpeg.rawFrames(
    { inputs: [{ path: file }], outputOptions: ['-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray'] },
    w * h,
  ))
    frames.push(Buffer.from(f))
  return frames
}

/** Mean SSIM over 8x8 blocks of two luma frames (the standard constants for 8-bit). */
function ssim(a: Buffer, b: Buffer, w = W, h = H): number {
  const C1 = (0.01 * 255) ** 2
  const C2 = (0.03 * 255) ** 2
  let sum = 0
  let n = 0
  for (let by = 0; by + 8 <= h; by += 4)
    for (let bx = 0; bx + 8 <= w; bx += 4) {
      let sa = 0
      let sb = 0
      let saa = 0
      let sbb = 0
      let sab = 0
      for (let y = by; y < by + 8; y++)
        for (let x = bx; x < bx + 8; x++) {
          const p = a[y * w + x]!
          const q = b[y * w + x]!
          sa += p
          sb += q
          saa += p * p
          sbb += q * q
          sab += p * q
        }
      const ma = sa / 64
      const mb = sb / 64
      const va = saa / 64 - ma * ma
      const vb = sbb / 64 - mb * mb
      const cov = sab / 64 - ma * mb
      sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))
      n++
    }
  return sum / n
}

/** Luma (BT.601) of an RGB frame. */
function lumaOf(rgb: Buffer): Buffer {
  const out = Buffer.alloc(rgb.length / 3)
  for (let i = 0; i < out.length; i++) out[i] = Math.round(0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!)
  return out
}

function mean(frame: Buffer): number {
  let s = 0
  for (const v of frame) s += v
  return s / frame.length
}

async function streamDurations(file: string): Promise<{ video: number; audio: number }> {
  const data = await ffmpeg.probe(file)
  const v = data.streams.find((s) => s.codec_type === 'video')
  const a = data.streams.find((s) => s.codec_type === 'audio')
  // fragmented MP4 has no per-stream duration in its header; ffprobe then gives the format's
  return { video: Number(v?.duration ?? data.format.duration), audio: Number(a?.duration ?? data.format.duration) }
}

/** Integrated loudness (LUFS) of a file by ffmpeg's EBU R128 meter. */
async function loudnessOf(file: string): Promise<number> {
  const lines: string[] = []
  await ffmpeg.run(
    { inputs: [{ path: file }], outputs: [{ target: '-', options: ['-map', '0:a', '-af', 'ebur128', '-f', 'null'] }] },
    { onStderr: (l) => lines.push(l) },
  )
  const summary = lines.slice(lines.findIndex((l) => l.includes('Summary:')))
  const m = summary.map((l) => /^\s*I:\s+(-?[\d.]+) LUFS/.exec(l)).find(Boolean)
  if (!m) throw new Error('ebur128 printed no integrated loudness')
  return Number(m[1])
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

let numbered: Source
let numberedFrames: Buffer[]

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-export-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket })
  storage.client.middlewareStack.add(
    (next, context) => async (args) => {
      s3Commands.push({ name: context.commandName ?? '', input: args.input as Record<string, unknown> })
      if (context.commandName === 'UploadPartCommand' && partDelayMs) await new Promise((r) => setTimeout(r, partDelayMs))
      return next(args)
    },
    { step: 'initialize', name: 'recordCommands' },
  )
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  const capabilities = await detectCapabilities(ffmpeg, true)
  workers = await startMediaWorkers({
    config,
    nc,
    ffmpeg,
    storage,
    capabilities,
    log,
    pullExpiresMs: 1000,
    // small parts so the multipart upload has several; short segments so cuts fall inside segments and between
    handlers: { export: createExportJob({ partSize: 64 * 1024, parallelism: 2, minSegmentSeconds: 1, maxSegmentSeconds: 2 }) },
  })
  // 12 s at 29.97 fps, the frame number burned in large, long GOPs with B-frames: most cuts are not on keyframes
  const file = await makeMedia(
    'numbered.mp4',
    [
      { path: `color=c=0x304050:s=${W}x${H}:r=30000/1001:d=12`, options: ['-f', 'lavfi'] },
      { path: 'sine=frequency=440:sample_rate=48000:duration=12', options: ['-f', 'lavfi'] },
    ],
    [
      '-vf',
      "drawtext=fontfile=/usr/share/fonts/truetype/lato/Lato-Bold.ttf:text='%{frame_num}':fontsize=44:fontcolor=white:x=8+mod(n\\,40):y=20",
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '300', '-bf', '3', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '96k', '-t', '12',
    ],
  )
  numbered = await upload(file)
  numberedFrames = await lumaFrames(file)
})

test.after(async () => {
  await workers.close()
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
})

test('cuts at non-keyframes give exactly the timeline frames, gaps are black, audio and video lengths agree', async () => {
  assert.is(numberedFrames.length, 360)
  // adjacent source frames differ (the number moves and changes), so a frame off by one would be seen
  assert.ok(ssim(numberedFrames[100]!, numberedFrames[101]!) < 0.97, `adjacent frames differ: ${ssim(numberedFrames[100]!, numberedFrames[101]!)}`)
  const clips = [
    { sourceIn: 37, sourceOut: 61 },
    { gap: 10 },
    { sourceIn: 200, sourceOut: 215 },
    { sourceIn: 5, sourceOut: 6 },
    { sourceIn: 111, sourceOut: 170 },
    { sourceIn: 301, sourceOut: 359 },
  ] as const
  const storyline: ExportInput['timeline']['storyline'] = clips.map((c, i) =>
    'gap' in c
      ? { kind: 'gap', id: `g${i}`, duration: c.gap }
      : { kind: 'clip', id: `c${i}`, assetId: numbered.assetId, sourceIn: c.sourceIn, sourceOut: c.sourceOut, label: `cut ${i}` },
  )
  const input = exportInput({ storyline }, [numbered])
  const jobId = await dispatch(input)
  const progress: number[] = []
  const sub = nc.subscribe(Subjects.progress(jobId), { callback: (_e, m) => void progress.push(JobProgressSchema.parse(m.json()).progress) })
  const ev = await finalEvent(jobId)
  sub.unsubscribe()
  assert.is(ev.status, 'succeeded', ev.error)
  const result = ExportResultSchema.parse(ev.result)
  const expected = clips.reduce((s, c) => s + ('gap' in c ? c.gap : c.sourceOut - c.sourceIn), 0)
  assert.is(result.frames, expected)
  assert.ok(result.segments >= 3, `rendered in ${result.segments} segments`)
  assert.ok(progress.length > 0 && progress.every((p, i) => i === 0 || p >= progress[i - 1]!), 'progress only rises')

  const file = await download(result.key, 'cuts.mp4')
  const frames = await lumaFrames(file)
  assert.is(frames.length, expected, 'output frame count = sum of clip lengths')
  let at = 0
  for (const c of clips) {
    if ('gap' in c) {
      for (let f = at; f < at + c.gap; f++) assert.ok(mean(frames[f]!) < 20, `gap frame ${f} is black`)
      at += c.gap
      continue
    }
    const len = c.sourceOut - c.sourceIn
    for (const [out, src] of [
      [at, c.sourceIn],
      [at + len - 1, c.sourceOut - 1],
    ] as const) {
      const score = ssim(frames[out]!, numberedFrames[src]!)
      assert.ok(score > 0.99, `output frame ${out} is source frame ${src} (SSIM ${score.toFixed(4)})`)
      for (const near of [src - 1, src + 1].filter((n) => n >= 0 && n < numberedFrames.length))
        assert.ok(ssim(frames[out]!, numberedFrames[near]!) < score, `output frame ${out} is closer to ${src} than to ${near}`)
    }
    at += len
  }
  const d = await streamDurations(file)
  const frame = FPS.den / FPS.num
  assert.ok(Math.abs(d.video - expected * frame) <= frame, `video lasts ${d.video}s for ${expected} frames`)
  assert.ok(Math.abs(d.audio - d.video) <= frame, `audio ${d.audio}s and video ${d.video}s within one frame`)
  // streamed as a multipart upload in several parts
  assert.ok(s3Commands.filter((c) => c.name === 'UploadPartCommand' && c.input.Key === result.key).length > 1, 'several parts')
})

test('captions are burned in on exactly their frames, narration is mixed and the mix lands at -23 LUFS', async () => {
  const bg = await makeMedia(
    'grey.mp4',
    [
      { path: `color=c=0x202020:s=${W}x${H}:r=30000/1001:d=6`, options: ['-f', 'lavfi'] },
      // a quiet bed: the loudness pass has to bring it up
      { path: 'sine=frequency=220:sample_rate=44100:duration=6', options: ['-f', 'lavfi'] },
    ],
    ['-af', 'volume=-24dB', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-t', '6'],
  )
  const voice = await makeMedia(
    'voice.wav',
    [{ path: 'sine=frequency=880:sample_rate=48000:duration=2', options: ['-f', 'lavfi'] }],
    ['-af', 'volume=-6dB', '-c:a', 'pcm_s16le'],
  )
  const [bgSrc, voiceSrc] = [await upload(bg), await upload(voice, false, true)]
  const SIZE = { width: 320, height: 180 }
  const caption = { start: 40, duration: 30 }
  const input = exportInput(
    {
      width: SIZE.width,
      height: SIZE.height,
      storyline: [{ kind: 'clip', id: 'c0', assetId: bgSrc.assetId, sourceIn: 0, sourceOut: 150, label: 'grey' }],
      anchored: [
        { id: 'cap', track: 'caption', start: caption.start, duration: caption.duration, text: 'HELLO WORLD' },
        { id: 'nar', track: 'narration', start: 30, duration: 60, assetId: voiceSrc.assetId, sourceIn: 0 },
      ],
    },
    [bgSrc, voiceSrc],
    { size: SIZE, captions: { style: 'clean' } },
  )
  const ev = await finalEvent(await dispatch(input))
  assert.is(ev.status, 'succeeded', ev.error)
  const result = ExportResultSchema.parse(ev.result)
  assert.ok(result.loudness.measured !== null && result.loudness.measured < -26, `the mix was quiet before the loudness pass: ${result.loudness.measured}`)
  const file = await download(result.key, 'captions.mp4')
  const frames = await lumaFrames(file, SIZE.width, SIZE.height)
  assert.is(frames.length, 150)
  // the caption box: the lower fifth of the picture, centre half
  const bright = (f: Buffer) => {
    let n = 0
    for (let y = Math.round(SIZE.height * 0.7); y < SIZE.height; y++)
      for (let x = SIZE.width / 4; x < (SIZE.width * 3) / 4; x++) if (f[y * SIZE.width + x]! > 180) n++
    return n
  }
  const end = caption.start + caption.duration
  for (const f of [caption.start, caption.start + 10, end - 1]) assert.ok(bright(frames[f]!) > 40, `caption visible on frame ${f} (${bright(frames[f]!)} px)`)
  for (const f of [0, caption.start - 1, end, 149]) assert.is(bright(frames[f]!), 0, `no caption on frame ${f}`)
  const lufs = await loudnessOf(file)
  assert.ok(Math.abs(lufs - -23) <= 1, `loudness ${lufs} LUFS within 1 LU of -23`)
  const d = await streamDurations(file)
  assert.ok(Math.abs(d.audio - d.video) <= FPS.den / FPS.num, `audio ${d.audio}s, video ${d.video}s`)
})

function longTimeline(): ExportInput {
  const storyline: ExportInput['timeline']['storyline'] = Array.from({ length: 6 }, (_, i) => ({
    kind: 'clip' as const,
    id: `c${i}`,
    assetId: numbered.assetId,
    sourceIn: i * 50,
    sourceOut: i * 50 + 50,
    label: `part ${i}`,
  }))
  return exportInput({ storyline }, [numbered])
}

async function headOf(key: string): Promise<string | undefined> {
  return storage.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).then(
    () => 'exists',
    (err: { name?: string }) => err.name,
  )
}

test('cancel while rendering kills every ffmpeg of the job and uploads nothing', async () => {
  const input = longTimeline()
  const jobId = randomUUID()
  const before = pids.length
  let aliveAtCancel: number[] = []
  const sub = nc.subscribe(Subjects.progress(jobId), {
    callback: (_e, m) => {
      const tick = JobProgressSchema.parse(m.json())
      if (tick.stage === 'rendering' && tick.progress > 0.1 && aliveAtCancel.length === 0) {
        aliveAtCancel = pids.slice(before).filter(alive)
        nc.publish(Subjects.cancel(jobId))
      }
    },
  })
  const seenAt = s3Commands.length
  await dispatch(input, jobId)
  const ev = await finalEvent(jobId)
  sub.unsubscribe()
  assert.is(ev.status, 'cancelled', ev.error)
  assert.ok(aliveAtCancel.length > 0, 'ffmpeg was running when the cancel came')
  const deadline = Date.now() + 10_000
  const started = pids.slice(before)
  while (started.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  assert.equal(started.filter(alive), [], 'every ffmpeg of the job has exited')
  assert.not.ok(
    s3Commands.slice(seenAt).some((c) => c.input.Key === input.outputKey),
    'no upload was started',
  )
  assert.is(await headOf(input.outputKey), 'NotFound')
})

test('cancel while uploading aborts the multipart upload; no object is left', async () => {
  const input = longTimeline()
  partDelayMs = 300
  const jobId = randomUUID()
  const seenAt = s3Commands.length
  const watcher = setInterval(() => {
    if (s3Commands.slice(seenAt).some((c) => c.name === 'UploadPartCommand' && c.input.Key === input.outputKey)) {
      clearInterval(watcher)
      nc.publish(Subjects.cancel(jobId))
    }
  }, 20)
  try {
    await dispatch(input, jobId)
    const ev = await finalEvent(jobId)
    assert.is(ev.status, 'cancelled', ev.error)
  } finally {
    clearInterval(watcher)
    partDelayMs = 0
  }
  const mine = s3Commands.slice(seenAt).filter((c) => c.input.Key === input.outputKey)
  const created = mine.find((c) => c.name === 'CreateMultipartUploadCommand')
  assert.ok(created, 'the output was being streamed as a multipart upload')
  const abort = mine.find((c) => c.name === 'AbortMultipartUploadCommand')
  assert.ok(abort, 'the multipart upload was aborted')
  assert.not.ok(mine.some((c) => c.name === 'CompleteMultipartUploadCommand'), 'never completed')
  assert.is(await headOf(input.outputKey), 'NotFound', 'no object at the output key')
})

test('a 500-clip timeline renders, every clip its one frame', async () => {
  const storyline: ExportInput['timeline']['storyline'] = Array.from({ length: 500 }, (_, i) => ({
    kind: 'clip' as const,
    id: `c${i}`,
    assetId: numbered.assetId,
    sourceIn: (i * 7) % 359,
    sourceOut: ((i * 7) % 359) + 1,
    label: `shot ${i}`,
  }))
  const ev = await finalEvent(await dispatch(exportInput({ storyline }, [numbered])), 900_000)
  assert.is(ev.status, 'succeeded', ev.error)
  const result = ExportResultSchema.parse(ev.result)
  const frames = await lumaFrames(await download(result.key, 'many.mp4'))
  assert.is(frames.length, 500)
  // one-frame shots are each a scene change to the encoder, so a little softer than the cuts above
  for (const i of [0, 1, 250, 499]) {
    const src = (i * 7) % 359
    const score = ssim(frames[i]!, numberedFrames[src]!)
    assert.ok(score > 0.98, `frame ${i} is source frame ${src} (SSIM ${score.toFixed(4)})`)
    for (const near of [src - 1, src + 1].filter((n) => n >= 0))
      assert.ok(ssim(frames[i]!, numberedFrames[near]!) < score, `frame ${i} is closer to ${src} than to ${near}`)
  }
})

test('a brand kit spec adds the intro and outro slates and the watermark; a watermark that is not an image is refused', async () => {
  const png = async (name: string, colour: string, size: string) =>
    makeMedia(name, [{ path: `color=c=${colour}:s=${size}:d=1`, options: ['-f', 'lavfi'] }], ['-frames:v', '1', '-f', 'image2'])
  const intro = await upload(await png('intro.png', 'red', `${W}x${H}`), true, false)
  const mark = await upload(await png('mark.png', 'white', '64x64'), true, false)
  const outro = await upload(
    await makeMedia('outro.mp4', [{ path: `color=c=blue:s=${W}x${H}:r=30000/1001:d=1`, options: ['-f', 'lavfi'] }], ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-frames:v', '30']),
    true,
    false,
  )
  const font = await upload(path.join('/usr/share/fonts/truetype/lato', 'Lato-Black.ttf'), false, false)
  const story: ExportInput['timeline']['storyline'] = [{ kind: 'clip', id: 'c0', assetId: numbered.assetId, sourceIn: 40, sourceOut: 100, label: 'story' }]
  const brandKit = (spec: NonNullable<ExportInput['brandKit']>['spec']) => ({ id: randomUUID(), version: 3, spec })
  const input = exportInput(
    { storyline: story, anchored: [{ id: 'cap', track: 'caption', start: 10, duration: 30, text: 'Brand' }] },
    [numbered],
    {
      captions: { style: 'clean' },
      brandKit: brandKit({
        introKey: intro.sourceKey,
        outroKey: outro.sourceKey,
        watermark: { key: mark.sourceKey, position: 'top-right', opacity: 1 },
        fonts: [{ family: 'Lato Black', key: font.sourceKey }],
        colors: { primary: '#ffcc00', secondary: '#000000', text: '#ffffff' },
        captionStyle: 'bold',
      }),
    },
  )
  const ev = await finalEvent(await dispatch(input))
  assert.is(ev.status, 'succeeded', ev.error)
  const result = ExportResultSchema.parse(ev.result)
  assert.equal(result.brandKit, { id: input.brandKit!.id, version: 3 }, 'the result records the brand kit version used')
  const introFrames = Math.round((3 * FPS.num) / FPS.den)
  assert.is(result.frames, introFrames + 60 + 30)
  const rgb = (await (async () => {
    const file = await download(result.key, 'brand.mp4')
    const frames: Buffer[] = []
    for await (const f of ffmpeg.rawFrames({ inputs: [{ path: file }], outputOptions: ['-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24'] }, W * H * 3))
      frames.push(Buffer.from(f))
    return frames
  })())
  assert.is(rgb.length, result.frames)
  const px = (f: Buffer, x: number, y: number): [number, number, number] => [f[(y * W + x) * 3]!, f[(y * W + x) * 3 + 1]!, f[(y * W + x) * 3 + 2]!]
  const [r0, g0, b0] = px(rgb[0]!, 20, 70)
  assert.ok(r0 > 180 && g0 < 80 && b0 < 80, `the intro slate is red: ${[r0, g0, b0]}`)
  const [r1, g1, b1] = px(rgb[rgb.length - 1]!, 20, 70)
  assert.ok(b1 > 180 && r1 < 80, `the outro slate is blue: ${[r1, g1, b1]}`)
  // the watermark: top-right, white, on the story frames
  const story0 = rgb[introFrames + 5]!
  const [wr, wg, wb] = px(story0, W - 8, 8)
  assert.ok(wr > 200 && wg > 200 && wb > 200, `watermark in the top-right corner: ${[wr, wg, wb]}`)
  assert.ok(ssim(lumaOf(story0), numberedFrames[45]!) > 0.8, 'the story frame follows the intro')

  const junk = path.join(dir, 'junk.png')
  writeFileSync(junk, 'not an image at all\n'.repeat(50))
  const bad = await upload(junk, true, false)
  const refused = await finalEvent(
    await dispatch(exportInput({ storyline: story }, [numbered], { brandKit: brandKit({ watermark: { key: bad.sourceKey, position: 'top-left', opacity: 0.5 } }) })),
  )
  assert.is(refused.status, 'failed')
  assert.match(refused.error!, /The brand kit's watermark is not an image/)
  const badFont = await upload(junk, false, false)
  const refusedFont = await finalEvent(
    await dispatch(
      exportInput({ storyline: story, anchored: [{ id: 'cap', track: 'caption', start: 0, duration: 10, text: 'x' }] }, [numbered], {
        captions: { style: 'clean' },
        brandKit: brandKit({ fonts: [{ family: 'Brand Sans', key: badFont.sourceKey }] }),
      }),
    ),
  )
  assert.is(refusedFont.status, 'failed')
  assert.match(refusedFont.error!, /The brand kit's font Brand Sans is not a TrueType, OpenType or WOFF font file/)
})

test('a clip whose media is gone fails the job naming the clip, with nothing of the storage in the message', async () => {
  const gone = { ...numbered, assetId: randomUUID(), sourceKey: `orgs/${orgId}/projects/${projectId}/assets/x/source/gone.mp4`, filename: 'gone.mp4' }
  const input = exportInput(
    { storyline: [{ kind: 'clip', id: 'c0', assetId: gone.assetId, sourceIn: 0, sourceOut: 10, label: 'Opening shot' }] },
    [gone],
  )
  const ev = await finalEvent(await dispatch(input))
  assert.is(ev.status, 'failed')
  assert.match(ev.error!, /Clip "Opening shot" plays gone\.mp4/)
  assert.not.match(ev.error!, /https?:|orgs\/|\/tmp\//)
})

test.run()
