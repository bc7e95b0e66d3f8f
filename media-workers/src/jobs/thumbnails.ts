import path from 'node:path'
import { artifactId, artifactPrefix } from '../artifactId'
import type { FfmpegSpec } from '../FfmpegAdapter'
import type { JobHandler } from '../JobContext'
import type { MediaInfo } from './mediaInfo'

const MAX_TILES = 100
const COLUMNS = 10

/** How a sprite sheet is laid out; stored as index.json next to the sprite and in the artifact metadata. */
export interface SpriteIndex {
  sprite: string
  tileWidth: number
  tileHeight: number
  columns: number
  rows: number
  count: number
  /** Tile i shows source frame i * framesPerTile (frames at `fps`). */
  framesPerTile: number
  fps: { num: number; den: number }
}

export function spriteLayout(info: MediaInfo, tileWidth: number, intervalFrames?: number): SpriteIndex {
  const video = info.video
  if (!video) throw new Error('The source has no video stream to take thumbnails from.')
  const oneSecond = Math.max(1, Math.round(video.fps.num / video.fps.den))
  const framesPerTile = Math.max(intervalFrames ?? oneSecond, Math.ceil(video.durationFrames / MAX_TILES), 1)
  const count = Math.max(1, Math.ceil(video.durationFrames / framesPerTile))
  const tileHeight = Math.max(2, Math.round((tileWidth * video.height) / video.width / 2) * 2)
  const columns = Math.min(COLUMNS, count)
  return {
    sprite: 'sprite.jpg',
    tileWidth,
    tileHeight,
    columns,
    rows: Math.ceil(count / columns),
    count,
    framesPerTile,
    fps: video.fps,
  }
}

export function thumbnailsSpec(source: string, outFile: string, layout: SpriteIndex): FfmpegSpec {
  const filter = [
    `select='not(mod(n\\,${layout.framesPerTile}))'`,
    `scale=${layout.tileWidth}:${layout.tileHeight}`,
    `tile=${layout.columns}x${layout.rows}`,
  ].join(',')
  return {
    inputs: [{ path: source }],
    outputs: [{ target: outFile, options: ['-an', '-vf', filter, '-fps_mode', 'vfr', '-frames:v', '1', '-q:v', '4'] }],
  }
}

/** A JPEG sprite sheet of evenly spaced frames and its index, for filmstrips and scrubbing. */
export const thumbnails: JobHandler<'thumbnails'> = async (ctx) => {
  const { payload } = ctx
  const source = await ctx.source()
  const info = await ctx.mediaInfo()
  const layout = spriteLayout(info, payload.input.tileWidth, payload.input.intervalFrames)
  const sprite = path.join(ctx.workDir, layout.sprite)
  await ctx.ffmpeg.run(thumbnailsSpec(source, sprite, layout), {
    signal: ctx.signal,
    durationSeconds: info.durationSeconds,
    onProgress: (f) => ctx.progress(f * 0.95, 'extracting'),
  })
  const id = artifactId(payload.jobId, 'thumbnails')
  const prefix = artifactPrefix(payload.orgId, payload.projectId, payload.input.assetId, id)
  const uploaded = await ctx.storage.uploadFile(`${prefix}/${layout.sprite}`, sprite, 'image/jpeg')
  await ctx.storage.uploadBytes(`${prefix}/index.json`, JSON.stringify(layout), 'application/json')
  ctx.progress(1, 'done')
  return {
    artifacts: [
      {
        id,
        slot: 'thumbnails',
        key: uploaded.key,
        contentType: 'image/jpeg',
        size: uploaded.size,
        metadata: { ...layout, index: 'index.json' },
      },
    ],
    usage: [{ metric: 'media_seconds', quantity: info.durationSeconds }],
  }
}
