import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { type BrandKitSpec, ErrorCode, type ExportInput, type ExportResult } from '@cutroom/schema'
import type { JobContext, JobHandler, JobOutcome } from '../JobContext'
import { JobCancelledError, PermanentJobError } from '../JobErrors'
import { captionEvents, captionLook, DEFAULT_FONTS_DIR, segmentAss } from './exportCaptions'
import {
  concatList,
  encoderArgs,
  LOUDNESS,
  type LoudnessMeasurement,
  loudnessFilter,
  loudnessMeasureSpec,
  muxSpec,
  parseLoudness,
  type ResolvedSource,
  segmentAudioSpec,
  segmentVideoSpec,
  wavSpec,
} from './exportGraph'
import { compileRenderPlan, type RenderPlan, type SlateInfo, secondsOf, stillFrames } from './exportPlan'
import { mediaInfoFrom } from './mediaInfo'

/** Knobs the benchmark and tests turn; the worker uses the defaults. */
export interface ExportTuning {
  /** Segments rendered at once (default: the machine's cores, at most 4). */
  parallelism?: number
  /** Multipart part size (default 8 MiB). */
  partSize?: number
  fontsDir?: string
  /** Segment length bounds in seconds (defaults: 8 and 60). */
  minSegmentSeconds?: number
  maxSegmentSeconds?: number
  /** Told each compiled ffmpeg spec before it runs (the benchmark runs the same commands bare). */
  onSpec?: (stage: string, args: string[]) => void
}


const IMAGE_CODECS = new Set(['png', 'mjpeg', 'bmp', 'webp', 'tiff', 'gif'])
const FONT_MAGIC = ['00010000', '4f54544f', '74727565', '774f4646', '774f4632'] // TrueType, OTTO, true, wOFF, wOF2

/** The `export` job: renders a timeline snapshot into one file streamed to S3 as a new version of the export stack. */
export const exportJob: JobHandler<'export'> = (ctx) => renderExport(ctx, {})

/** The export job with its knobs turned (tests, benchmark). */
export function createExportJob(tuning: ExportTuning): JobHandler<'export'> {
  return (ctx) => renderExport(ctx, tuning)
}

async function renderExport(ctx: JobContext<'export'>, tuning: ExportTuning): Promise<JobOutcome> {
  const input = ctx.payload.input
  const brand = input.brandKit?.spec ?? null
  const video = input.preset !== 'audio-wav' && !!input.size
  ctx.progress(0, 'preparing')

  const sources = await resolveSources(ctx, input)
  const intro = video && brand?.introKey ? await slate(ctx, brand.introKey, 'intro', input, sources) : null
  const outro = video && brand?.outroKey ? await slate(ctx, brand.outroKey, 'outro', input, sources) : null
  const watermark = video && brand?.watermark ? { ...brand.watermark, url: await brandImage(ctx, brand.watermark.key, 'watermark') } : null
  const parallelism = tuning.parallelism ?? Math.min(4, Math.max(1, availableParallelism()))
  const plan = compileRenderPlan(input, {
    intro,
    outro,
    parallelism,
    minSegmentSeconds: tuning.minSegmentSeconds,
    maxSegmentSeconds: tuning.maxSegmentSeconds,
  })
  const fontsDir = video && input.captions && plan.captions.length ? await prepareFonts(ctx, brand, tuning.fontsDir ?? DEFAULT_FONTS_DIR) : null

  const segDir = path.join(ctx.workDir, 'segments')
  await mkdir(segDir, { recursive: true })
  const spec = (stage: string, s: Parameters<typeof ctx.ffmpeg.args>[0]) => {
    tuning.onSpec?.(stage, ctx.ffmpeg.args(s))
    return s
  }

  // every segment's picture and mix, a few at a time; progress by frames done
  const done = new Map<string, number>()
  const weightOf = (task: { kind: 'video' | 'audio'; frames: number }) => task.frames * (task.kind === 'video' ? 1 : 0.15)
  const tasks = plan.segments.flatMap((seg) => [
    ...(video ? [{ kind: 'video' as const, seg, frames: seg.frames }] : []),
    { kind: 'audio' as const, seg, frames: seg.frames },
  ])
  const totalWeight = tasks.reduce((s, t) => s + weightOf(t), 0)
  const report = () => {
    let sum = 0
    for (const t of tasks) sum += (done.get(`${t.kind}${t.seg.index}`) ?? 0) * weightOf(t)
    ctx.progress(0.02 + 0.83 * (sum / totalWeight), 'rendering')
  }
  // the style asked for wins; exports.create fills it from the brand kit when the person did not choose one
  const look = input.captions ? captionLook(input.captions.style, brand) : null
  const events = look ? captionEvents(plan.captions, look) : []
  const videoFiles: string[] = []
  const audioFiles: string[] = []
  const encoder = ctx.capabilities.nvenc ? 'h264_nvenc' : 'libx264'
  const encode = encoderArgs(encoder, plan.fps)
  await runPool(tasks, parallelism, ctx.signal, async (task) => {
    const { seg } = task
    const key = `${task.kind}${task.seg.index}`
    const onProgress = (f: number) => {
      done.set(key, f)
      report()
    }
    const durationSeconds = Number(secondsOf(seg.frames, plan.fps))
    if (task.kind === 'video') {
      const out = path.join(segDir, `v${String(seg.index).padStart(5, '0')}.mp4`)
      videoFiles[seg.index] = out
      let captions: { assFile: string; fontsDir: string } | null = null
      if (look && fontsDir && plan.size) {
        const assFile = path.join(segDir, `c${seg.index}.ass`)
        await writeFile(assFile, segmentAss(events, seg, plan.fps, look, plan.size.width, plan.size.height))
        captions = { assFile, fontsDir }
      }
      const s = spec(`video ${seg.index}`, segmentVideoSpec(plan, seg, sources, out, { captions, watermark, encoderArgs: encode }))
      await ctx.ffmpeg.run(s, { signal: ctx.signal, durationSeconds, onProgress })
    } else {
      const out = path.join(segDir, `a${String(seg.index).padStart(5, '0')}.wav`)
      audioFiles[seg.index] = out
      await ctx.ffmpeg.run(spec(`audio ${seg.index}`, segmentAudioSpec(plan, seg, sources, out)), { signal: ctx.signal, durationSeconds, onProgress })
    }
    done.set(key, 1)
    report()
  })

  const audioList = path.join(segDir, 'audio.ffconcat')
  await writeFile(audioList, concatList(audioFiles))
  ctx.progress(0.86, 'measuring loudness')
  const stderr: string[] = []
  await ctx.ffmpeg.run(spec('loudness', loudnessMeasureSpec(audioList)), {
    signal: ctx.signal,
    onStderr: (line) => {
      stderr.push(line)
      if (stderr.length > 200) stderr.shift()
    },
  })
  const measured: LoudnessMeasurement | null = parseLoudness(stderr)
  const loudness = loudnessFilter(measured, plan.totalSamples)

  const durationSeconds = Number(secondsOf(plan.totalFrames, plan.fps))
  // the muxed file is written to scratch (MP4 needs a seekable output for its edit lists, which keep audio and video
  // aligned), then streamed to S3 in parts; neither step holds the render in memory
    const contentType = video ? 'video/mp4' : 'audio/wav'
  const outFile = path.join(ctx.workDir, video ? 'export.mp4' : 'export.wav')
  if (video) {
    const videoList = path.join(segDir, 'video.ffconcat')
    await writeFile(videoList, concatList(videoFiles))
    await ctx.ffmpeg.run(spec('mux', muxSpec(videoList, audioList, loudness, outFile)), { signal: ctx.signal, durationSeconds, onProgress: (f) => ctx.progress(0.9 + 0.05 * f, 'muxing') })
  } else {
    await ctx.ffmpeg.run(spec('wav', wavSpec(audioList, loudness, outFile)), { signal: ctx.signal, durationSeconds, onProgress: (f) => ctx.progress(0.9 + 0.05 * f, 'muxing') })
  }
  ctx.progress(0.95, 'uploading')
  const total = (await stat(outFile)).size
  const uploaded = await ctx.storage
    .uploadStream(input.outputKey, createReadStream(outFile, { highWaterMark: 1024 * 1024 }), contentType, {
      partSize: tuning.partSize,
      signal: ctx.signal,
      onPart: (_n, sent) => ctx.progress(0.95 + 0.05 * (sent / Math.max(1, total)), 'uploading'),
    })
    .catch((err: Error) => {
      if (ctx.signal.aborted) throw new JobCancelledError()
      throw err
    })
  ctx.progress(1, 'done')
  const result: ExportResult = {
    assetId: input.assetId,
    key: input.outputKey,
    size: uploaded.size,
    contentType,
    preset: input.preset,
    frames: plan.totalFrames,
    samples: plan.totalSamples,
    durationSeconds,
    segments: plan.segments.length,
    encoder: video ? encoder : 'pcm_s24le',
    loudness: { target: LOUDNESS.I, measured: Number.isFinite(Number(measured?.input_i)) ? Number(measured!.input_i) : null },
    brandKit: input.brandKit ? { id: input.brandKit.id, version: input.brandKit.version } : null,
  }
  return { artifacts: [], usage: [{ metric: 'media_seconds', quantity: durationSeconds }], result }
}

/** Runs `work` over `items`, `limit` at a time; the first failure (or a cancel) stops new work and is thrown. */
async function runPool<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed: unknown = null
  const lane = async () => {
    while (next < items.length && failed === null) {
      if (signal.aborted) throw new JobCancelledError()
      const item = items[next++]!
      try {
        await work(item)
      } catch (err) {
        failed ??= err
        throw err
      }
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane))
  if (signal.aborted) throw new JobCancelledError()
  if (failed !== null) throw failed
  const rejected = results.find((r) => r.status === 'rejected')
  if (rejected) throw (rejected as PromiseRejectedResult).reason
}

/** Read URLs of every asset, each checked in storage; a missing one fails the job naming the clip that uses it. */
async function resolveSources(ctx: JobContext<'export'>, input: ExportInput): Promise<Map<string, ResolvedSource>> {
  const map = new Map<string, ResolvedSource>()
  for (const s of input.sources) {
    const url = await ctx.sourceAt(s.sourceKey).catch(() => {
      const clip = input.timeline.storyline.find((i) => i.kind === 'clip' && i.assetId === s.assetId)
      const name = clip && clip.kind === 'clip' && clip.label ? `Clip "${clip.label}"` : 'A clip'
      throw new PermanentJobError(ErrorCode.NOT_FOUND, `${name} plays ${s.filename}, whose file is no longer in storage; replace the clip's media and export again.`)
    })
    map.set(s.assetId, { url, hasVideo: s.hasVideo, hasAudio: s.hasAudio, still: false })
  }
  return map
}

/** An intro or outro slate: an image shown for three seconds, or a clip played whole. */
async function slate(
  ctx: JobContext<'export'>,
  key: string,
  which: 'intro' | 'outro',
  input: ExportInput,
  sources: Map<string, ResolvedSource>,
): Promise<SlateInfo> {
  const url = await brandUrl(ctx, key, `${which} slate`)
  const data = await ctx.ffmpeg.probe(url).catch(() => {
    throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, `The brand kit's ${which} slate is not an image or a video.`)
  })
  const fps = input.timeline.fps
  const still = data.streams.some((s) => s.codec_type === 'video' && IMAGE_CODECS.has(String(s.codec_name))) && !data.streams.some((s) => s.codec_type === 'audio')
  if (still) {
    sources.set(`brand:${which}`, { url, hasVideo: true, hasAudio: false, still: true })
    return { kind: 'still', frames: stillFrames(fps) }
  }
  const info = (() => {
    try {
      return mediaInfoFrom(data)
    } catch {
      throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, `The brand kit's ${which} slate is not an image or a video.`)
    }
  })()
  sources.set(`brand:${which}`, { url, hasVideo: info.hasVideo, hasAudio: info.hasAudio, still: false })
  // the frame count when the slate runs at the timeline's rate; otherwise its duration on the timeline's grid
  const sameRate = info.video && info.video.fps.num * fps.den === fps.num * info.video.fps.den
  const frames = sameRate ? info.video!.durationFrames : Math.round((info.durationSeconds * fps.num) / fps.den)
  return { kind: 'clip', frames: Math.max(1, frames) }
}

async function brandUrl(ctx: JobContext<'export'>, key: string, what: string): Promise<string> {
  return ctx.sourceAt(key).catch(() => {
    throw new PermanentJobError(ErrorCode.NOT_FOUND, `The brand kit's ${what} is no longer in storage; upload it to the brand kit again.`)
  })
}

/** A brand image (the watermark): refused unless ffprobe reads it as a picture. */
async function brandImage(ctx: JobContext<'export'>, key: string, what: string): Promise<string> {
  const url = await brandUrl(ctx, key, what)
  const data = await ctx.ffmpeg.probe(url).catch(() => null)
  if (!data?.streams.some((s) => s.codec_type === 'video' && IMAGE_CODECS.has(String(s.codec_name))))
    throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, `The brand kit's ${what} is not an image (PNG, JPEG or WebP).`)
  return url
}

/** A fonts folder for libass: the shipped caption font plus the brand kit's fonts, each checked to be a font file. */
async function prepareFonts(ctx: JobContext<'export'>, brand: BrandKitSpec | null, shipped: string): Promise<string> {
  const dir = path.join(ctx.workDir, 'fonts')
  await mkdir(dir, { recursive: true })
  for (const f of await readdir(shipped).catch(() => [] as string[]))
    if (/\.(ttf|otf)$/i.test(f)) await symlink(path.join(shipped, f), path.join(dir, f)).catch(() => {})
  for (const [i, font] of (brand?.fonts ?? []).entries()) {
    const file = path.join(dir, `brand-${i}.ttf`)
    try {
      const res = await ctx.storage.client.send(new GetObjectCommand({ Bucket: ctx.storage.bucket, Key: font.key }), { abortSignal: ctx.signal })
      await pipeline(res.Body as Readable, createWriteStream(file))
    } catch {
      if (ctx.signal.aborted) throw new JobCancelledError()
      throw new PermanentJobError(ErrorCode.NOT_FOUND, `The brand kit's font ${font.family} is no longer in storage; upload it again.`)
    }
    const head = Buffer.alloc(4)
    const fh = await open(file, 'r')
    await fh.read(head, 0, 4, 0)
    await fh.close()
    if (!FONT_MAGIC.includes(head.toString('hex')) || (await stat(file)).size < 100)
      throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, `The brand kit's font ${font.family} is not a TrueType, OpenType or WOFF font file.`)
  }
  return dir
}

export type { RenderPlan }
