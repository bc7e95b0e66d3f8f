import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import {
  type ExportInput,
  ExportInputSchema,
  ExportResultSchema,
  type JobEvent,
  JobEventSchema,
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
import { compileRenderPlan } from './exportPlan'

/**
 * Golden tests on real ffmpeg and libass of two things a storyline clip carries into an export: the words of
 * its source's transcript (captions at their own times, through the cuts) and its crop box (the vertical
 * preset's 9:16 window).
 */
const log = pino({ level: 'silent' })
const ffmpeg = new FfmpegAdapter()
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
const TUNING = { parallelism: 2, minSegmentSeconds: 1, maxSegmentSeconds: 2 }
/** The ASS file of each segment's video, read when its ffmpeg is about to run. */
const assFiles = new Map<string, string>()

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '1',
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

async function makeMedia(
  name: string,
  inputs: { path: string; options: string[] }[],
  options: string[],
): Promise<string> {
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
  timeline: Pick<ExportInput['timeline'], 'storyline' | 'width' | 'height'>,
  sources: Source[],
  extra: Partial<ExportInput>,
): ExportInput {
  const assetId = randomUUID()
  return ExportInputSchema.parse({
    documentId: randomUUID(),
    versionId: null,
    preset: '720p',
    assetId,
    outputKey: `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/export.mp4`,
    captions: null,
    brandKit: null,
    sources,
    ...extra,
    timeline: { fps: FPS, sampleRate: 48000, storylineMuted: false, anchored: [], ...timeline },
  })
}

async function render(input: ExportInput): Promise<{ file: string; frames: number }> {
  const jobId = randomUUID()
  await jetstream(nc).publish(
    Subjects.job('export'),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'export', input }),
    {
      msgID: jobMessageId(jobId, 1),
    },
  )
  const deadline = Date.now() + 120_000
  let ev: JobEvent | undefined
  while (!ev && Date.now() < deadline) {
    ev = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (!ev) await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(ev, 'the export finished')
  assert.is(ev!.status, 'succeeded', ev!.error)
  const result = ExportResultSchema.parse(ev!.result)
  const res = await storage.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: result.key }))
  const file = path.join(dir, `${jobId}.mp4`)
  writeFileSync(file, Buffer.from(await res.Body!.transformToByteArray()))
  return { file, frames: result.frames }
}

async function rgbFrames(file: string, w: number, h: number): Promise<Buffer[]> {
  const frames: Buffer[] = []
  for await (const f of ffmpeg.rawFrames(
    { inputs: [{ path: file }], outputOptions: ['-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24'] },
    w * h * 3,
  ))
    frames.push(Buffer.from(f))
  return frames
}

/** Output frame of an ASS time: libass shows frame f when floor(f * 100 / fps) centiseconds is reached. */
function frameOfAssTime(t: string): number {
  const [h, m, s] = t.split(':')
  const cs = Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 100)
  return Math.ceil((cs * FPS.num) / (100 * FPS.den) - 1e-9)
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-export-words-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket })
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  workers = await startMediaWorkers({
    config,
    nc,
    ffmpeg,
    storage,
    capabilities: await detectCapabilities(ffmpeg, true),
    log,
    pullExpiresMs: 1000,
    handlers: {
      export: createExportJob({
        ...TUNING,
        onSpec: (_stage, args) => {
          const ass = args.join(' ').match(/ass=filename='?([^:']+\.ass)/)
          if (ass) assFiles.set(path.basename(ass[1]!), readFileSync(ass[1]!, 'utf8'))
        },
      }),
    },
  })
})

test.after(async () => {
  await workers.close()
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
})

test('karaoke captions from a transcript: each word at its own time through the cuts, words cut out are gone', async () => {
  const W = 320
  const H = 180
  const bg = await makeMedia(
    'talk.mp4',
    [
      { path: `color=c=0x202020:s=${W}x${H}:r=30000/1001:d=8`, options: ['-f', 'lavfi'] },
      { path: 'sine=frequency=220:sample_rate=48000:duration=8', options: ['-f', 'lavfi'] },
    ],
    ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-t', '8'],
  )
  const src = await upload(bg)
  // the transcript, in samples at 16 kHz; here written as source frames at 29.97 fps
  const RATE = 16000
  const sample = (frame: number) => Math.round((frame * FPS.den * RATE) / FPS.num)
  const said: [string, number, number][] = [
    ['ALPHA', 15, 40],
    ['BRAVO.', 45, 70],
    ['HALF', 72, 82], // mostly after the first clip's end: dropped
    ['CUT', 85, 110], // in the cut-out range
    ['DELTA', 130, 160],
    ['ECHO', 165, 190],
  ]
  const words = said.map(([text, from, to]) => ({ text, start: sample(from), end: sample(to) }))
  // the cut: source 0..75, then source 120..200 (at timeline 75..155)
  const input = exportInput(
    {
      width: W,
      height: H,
      storyline: [
        { kind: 'clip', id: 'a', assetId: src.assetId, sourceIn: 0, sourceOut: 75, label: 'first' },
        { kind: 'clip', id: 'b', assetId: src.assetId, sourceIn: 120, sourceOut: 200, label: 'second' },
      ],
    },
    [src],
    {
      size: { width: W, height: H },
      captions: {
        style: 'karaoke',
        source: 'transcript',
        transcript: { documentId: randomUUID(), assetId: src.assetId, sampleRate: RATE, words },
      },
    },
  )
  assFiles.clear()
  const { file, frames: total } = await render(input)
  assert.is(total, 155)

  // the compiled ASS of every segment, back on the output's frame grid, pieces of one event joined
  const plan = compileRenderPlan(input, TUNING)
  assert.is(assFiles.size, plan.segments.length, 'one ASS file per segment')
  const shown: { from: number; to: number; text: string }[] = []
  for (const seg of plan.segments) {
    const ass = assFiles.get(`c${seg.index}.ass`)!
    for (const line of ass.split('\n').filter((l) => l.startsWith('Dialogue:'))) {
      const [, start, end, , , , , , , ...text] = line.split(',')
      const e = { from: seg.start + frameOfAssTime(start!), to: seg.start + frameOfAssTime(end!), text: text.join(',') }
      const last = shown[shown.length - 1]
      if (last && last.to === e.from && last.text === e.text) last.to = e.to
      else shown.push(e)
    }
  }
  // which word is in the highlight colour: the one after the colour tag
  const active = (text: string) => /\{\\c&H[0-9A-F]+&\}([^{]+)\{\\r\}/.exec(text)?.[1] ?? null
  const plain = (text: string) => text.replace(/\{[^}]*\}/g, '')
  assert.equal(
    shown.map((e) => [e.from, e.to, plain(e.text), active(e.text)]),
    [
      [15, 40, 'ALPHA BRAVO.', 'ALPHA'],
      [40, 45, 'ALPHA BRAVO.', null],
      [45, 70, 'ALPHA BRAVO.', 'BRAVO.'],
      [85, 115, 'DELTA ECHO', 'DELTA'],
      [115, 120, 'DELTA ECHO', null],
      [120, 145, 'DELTA ECHO', 'ECHO'],
    ],
  )

  // and in the picture: the caption box (lower part, centre) has white text on its frames, with the active word
  // yellow on its side of the line, and nothing where no kept word is spoken
  const rgb = await rgbFrames(file, W, H)
  assert.is(rgb.length, 155)
  const box = (f: Buffer, x0: number, x1: number) => {
    let white = 0
    let yellow = 0
    for (let y = Math.round(H * 0.6); y < H; y++)
      for (let x = x0; x < x1; x++) {
        const i = (y * W + x) * 3
        const [r, g, b] = [f[i]!, f[i + 1]!, f[i + 2]!]
        if (r > 200 && g > 200 && b > 200) white++
        else if (r > 180 && g > 150 && b < 90) yellow++
      }
    return { white, yellow }
  }
  const left = (f: number) => box(rgb[f]!, 0, W / 2)
  const right = (f: number) => box(rgb[f]!, W / 2, W)
  const sum = (f: number) => {
    const a = left(f)
    const b = right(f)
    return { white: a.white + b.white, yellow: a.yellow + b.yellow }
  }
  for (const f of [20, 39]) {
    assert.ok(
      left(f).yellow > 30 && right(f).yellow < 5,
      `frame ${f}: ALPHA (left) is the yellow word ${JSON.stringify([left(f), right(f)])}`,
    )
    assert.ok(right(f).white > 30, `frame ${f}: BRAVO. is shown in white`)
  }
  assert.ok(
    sum(42).white > 60 && sum(42).yellow < 5,
    `frame 42, between the words: the line, no word active ${JSON.stringify(sum(42))}`,
  )
  for (const f of [45, 69])
    assert.ok(right(f).yellow > 30 && left(f).yellow < 5, `frame ${f}: BRAVO. (right) is the yellow word`)
  for (const f of [100, 125])
    assert.ok(sum(f).yellow > 30 && sum(f).white > 30, `frame ${f}: the second line is shown ${JSON.stringify(sum(f))}`)
  // before the first word, where HALF and the cut-out CUT would have been, and after the last word: no caption
  for (const f of [0, 14, 70, 74, 75, 84, 145, 154])
    assert.equal(sum(f), { white: 0, yellow: 0 }, `no caption on frame ${f}`)
})

test('the vertical preset takes each clip’s crop box from the source picture; a clip without one is centre-cropped', async () => {
  // the source: red, green and blue bands across a 320×180 picture
  const band = (c: string, w: number) => `color=c=${c}:s=${w}x180:r=30000/1001:d=2`
  const bands = await makeMedia(
    'bands.mp4',
    [
      {
        path: `${band('red', 110)}[a];${band('green', 100)}[b];${band('blue', 110)}[c];[a][b][c]hstack=inputs=3[out0]`,
        options: ['-f', 'lavfi'],
      },
    ],
    ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p', '-t', '2'],
  )
  const src = await upload(bands, true, false)
  // the full-height 9:16 window of a 16:9 picture is 0.3164 of its width (what the inspector's slider writes)
  const w = 0.3164
  const clip = (id: string, crop?: { x: number; y: number; w: number; h: number }) => ({
    kind: 'clip' as const,
    id,
    assetId: src.assetId,
    sourceIn: Number(id.slice(1)) * 10,
    sourceOut: Number(id.slice(1)) * 10 + 10,
    label: id,
    ...(crop ? { crop } : {}),
  })
  const OW = 90
  const OH = 160
  const input = exportInput(
    {
      width: 320,
      height: 180,
      storyline: [clip('c0', { x: 0, y: 0, w, h: 1 }), clip('c1', { x: 1 - w, y: 0, w, h: 1 }), clip('c2')],
    },
    [src],
    { preset: 'vertical-1080x1920', size: { width: OW, height: OH } },
  )
  const { file, frames } = await render(input)
  assert.is(frames, 30)
  const rgb = await rgbFrames(file, OW, OH)
  assert.is(rgb.length, 30)
  /** Mean colour of the middle of the picture. */
  const colour = (f: Buffer) => {
    const sum = [0, 0, 0]
    let n = 0
    for (let y = 20; y < OH - 20; y++)
      for (let x = 20; x < OW - 20; x++) {
        for (let c = 0; c < 3; c++) sum[c]! += f[(y * OW + x) * 3 + c]!
        n++
      }
    return sum.map((s) => Math.round(s / n))
  }
  const hue = (f: Buffer) => {
    const [r, g, b] = colour(f)
    return r! > 180 && g! < 60 && b! < 60
      ? 'red'
      : g! > 90 && r! < 60 && b! < 60
        ? 'green'
        : b! > 180 && r! < 60 && g! < 60
          ? 'blue'
          : JSON.stringify([r, g, b])
  }
  assert.equal(
    [0, 9].map((f) => hue(rgb[f]!)),
    ['red', 'red'],
    'a crop box at the left edge takes the left of the picture',
  )
  assert.equal(
    [10, 19].map((f) => hue(rgb[f]!)),
    ['blue', 'blue'],
    'a crop box at the right edge takes the right',
  )
  assert.equal(
    [20, 29].map((f) => hue(rgb[f]!)),
    ['green', 'green'],
    'no crop box: the centre',
  )

  // a landscape export of the same timeline shows each clip's whole picture: the crop boxes are for portrait only
  const wide = await render({ ...input, preset: '720p', size: { width: 320, height: 180 }, assetId: randomUUID() })
  const full = await rgbFrames(wide.file, 320, 180)
  for (const f of [5, 15, 25]) {
    const px = (x: number) => [...full[f]!.subarray((90 * 320 + x) * 3, (90 * 320 + x) * 3 + 3)]
    const [r] = px(50)
    const [, g] = px(160)
    const [, , b] = px(270)
    assert.ok(
      r! > 180 && g! > 90 && b! > 180,
      `frame ${f} has all three bands: ${[px(50), px(160), px(270)].join(' | ')}`,
    )
  }
})

test.run()
