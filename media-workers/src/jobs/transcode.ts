import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { artifactId, artifactPrefix } from '../artifactId'
import type { FfmpegSpec } from '../FfmpegAdapter'
import type { JobHandler } from '../JobContext'
import type { MediaInfo } from './mediaInfo'

/** Segment length; keyframes are forced on this grid so every rung's segments line up for switching. */
const SEGMENT_SECONDS = 4

export interface Rung {
  height: number
  width: number
  videoKbps: number
}

/** The ladder for a source: the requested heights no taller than the source, or the source height alone. */
export function ladderFor(info: MediaInfo, heights: number[]): Rung[] {
  const video = info.video
  if (!video) return []
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2)
  let chosen = [...new Set(heights)].filter((h) => h <= video.height).sort((a, b) => a - b)
  if (chosen.length === 0) chosen = [even(video.height)]
  return chosen.map((height) => {
    const width = even((video.width * height) / video.height)
    // about 0.1 bits per pixel at 30 fps, a common proxy rate
    const videoKbps = Math.max(200, Math.round((width * height * 30 * 0.1) / 1000))
    return { height: even(height), width, videoKbps }
  })
}

/**
 * One ffmpeg run writing every rung and the master playlist into `outDir`. `preview`: the encoder's fastest
 * settings and a cheaper scaler, for the first rendition a person can play while the ladder encodes.
 */
export function transcodeSpec(
  source: string,
  outDir: string,
  info: MediaInfo,
  rungs: Rung[],
  encoder: string,
  mode: { preview?: boolean } = {},
): FfmpegSpec {
  const preview = mode.preview === true
  const n = rungs.length
  const split = `[0:v]split=${n}${rungs.map((_, i) => `[s${i}]`).join('')}`
  const scaler = preview ? 'fast_bilinear' : 'bicubic'
  const scales = rungs.map((r, i) => `[s${i}]scale=${r.width}:${r.height}:flags=${scaler},format=yuv420p[v${i}]`)
  const options: string[] = []
  rungs.forEach((r, i) => {
    options.push('-map', `[v${i}]`)
    if (info.hasAudio) options.push('-map', '0:a:0')
    options.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.2)}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`)
  })
  options.push('-c:v', encoder)
  if (encoder === 'libx264') options.push('-preset', preview ? 'ultrafast' : 'veryfast', '-sc_threshold', '0')
  else options.push('-preset', preview ? 'p1' : 'p4')
  options.push('-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_SECONDS})`)
  if (info.hasAudio) options.push('-c:a', 'aac', '-b:a', '128k', '-ac', '2')
  options.push(
    '-f', 'hls',
    '-hls_time', String(SEGMENT_SECONDS),
    '-hls_playlist_type', 'vod',
    '-hls_flags', 'independent_segments',
    '-hls_segment_filename', path.join(outDir, 'v%v', 'seg_%05d.ts'),
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', rungs.map((_, i) => (info.hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' '),
  )
  return {
    inputs: [{ path: source }],
    complexFilter: [split, ...scales].join(';'),
    outputs: [{ target: path.join(outDir, 'v%v', 'index.m3u8'), options }],
  }
}

/**
 * An HLS ladder (360p and 720p by default, never above the source) with a master playlist; with `preview`, the
 * lowest rung alone, encoded fast (slot `hls` too, `metadata.preview: true`; it reports no usage, the ladder
 * that replaces it does).
 */
export const transcode: JobHandler<'transcode'> = async (ctx) => {
  const { payload } = ctx
  const preview = payload.input.preview === true
  const source = await ctx.source()
  const info = await ctx.mediaInfo()
  const rungs = ladderFor(info, payload.input.heights).slice(0, preview ? 1 : undefined)
  if (rungs.length === 0) throw new Error('The source has no video stream to transcode.')
  const outDir = path.join(ctx.workDir, 'hls')
  await Promise.all(rungs.map((_, i) => mkdir(path.join(outDir, `v${i}`), { recursive: true })))
  const spec = transcodeSpec(source, outDir, info, rungs, ctx.capabilities.videoEncoder, { preview })
  await ctx.ffmpeg.run(spec, {
    signal: ctx.signal,
    durationSeconds: info.durationSeconds,
    onProgress: (f) => ctx.progress(f * 0.95, 'encoding'),
  })
  ctx.progress(0.95, 'uploading')
  const id = artifactId(payload.jobId, 'hls')
  const prefix = artifactPrefix(payload.orgId, payload.projectId, payload.input.assetId, id)
  const files = await ctx.storage.uploadDir(prefix, outDir)
  ctx.progress(1, 'done')
  return {
    artifacts: [
      {
        id,
        slot: 'hls',
        key: `${prefix}/master.m3u8`,
        contentType: 'application/vnd.apple.mpegurl',
        size: files.reduce((sum, f) => sum + f.size, 0),
        metadata: {
          playlist: 'master.m3u8',
          files: files.length,
          encoder: ctx.capabilities.videoEncoder,
          renditions: rungs.map((r, i) => ({ ...r, playlist: `v${i}/index.m3u8` })),
          ...(preview ? { preview: true } : {}),
        },
      },
    ],
    usage: preview ? [] : [{ metric: 'media_seconds', quantity: info.durationSeconds }],
  }
}
