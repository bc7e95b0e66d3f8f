import type { Writable } from 'node:stream'
import { artifactId, artifactPrefix } from '../artifactId'
import type { FfmpegSpec } from '../FfmpegAdapter'
import type { JobHandler } from '../JobContext'
import { PEAK_LEVELS, PeakBuilder } from './PeakBuilder'

/** Decodes the first audio stream to mono 16-bit PCM at its own sample rate, so peak i covers known samples. */
export function waveformSpec(source: string, sampleRate: number, sink: string | Writable): FfmpegSpec {
  return {
    inputs: [{ path: source }],
    outputs: [{ target: sink, options: ['-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(sampleRate), '-f', 's16le', '-acodec', 'pcm_s16le'] }],
  }
}

/** Peaks (min/max, 8-bit) at several zoom levels, as JSON, for drawing the timeline's waveform. */
export const waveform: JobHandler<'waveform'> = async (ctx) => {
  const { payload } = ctx
  const source = await ctx.source()
  const info = await ctx.mediaInfo()
  if (!info.audio) throw new Error('The source has no audio stream to draw a waveform from.')
  const builder = new PeakBuilder(info.audio.sampleRate)
  await ctx.ffmpeg.run(waveformSpec(source, info.audio.sampleRate, builder), {
    signal: ctx.signal,
    durationSeconds: info.durationSeconds,
    onProgress: (f) => ctx.progress(f * 0.95, 'decoding'),
  })
  const peaks = builder.result()
  const id = artifactId(payload.jobId, 'waveform')
  const prefix = artifactPrefix(payload.orgId, payload.projectId, payload.input.assetId, id)
  const uploaded = await ctx.storage.uploadBytes(`${prefix}/peaks.json`, JSON.stringify(peaks), 'application/json')
  ctx.progress(1, 'done')
  return {
    artifacts: [
      {
        id,
        slot: 'waveform',
        key: uploaded.key,
        contentType: 'application/json',
        size: uploaded.size,
        metadata: { sampleRate: peaks.sampleRate, samples: peaks.samples, bits: 8, levels: [...PEAK_LEVELS] },
      },
    ],
    usage: [{ metric: 'media_seconds', quantity: info.durationSeconds }],
  }
}
