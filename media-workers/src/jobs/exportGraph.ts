import type { FfmpegSpec } from '../FfmpegAdapter'
import {
  EXPORT_SAMPLE_RATE,
  type PlanPiece,
  type PlanSegment,
  partsIn,
  type Rate,
  type RenderPlan,
  type SegmentPart,
  sampleAt,
  secondsOf,
} from './exportPlan'

/** Where ffmpeg reads a plan source, and what it has. */
export interface ResolvedSource {
  url: string
  hasVideo: boolean
  hasAudio: boolean
  /** An image: looped for as long as its piece lasts. */
  still: boolean
}

export interface Watermark {
  url: string
  position: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'
  opacity: number
}

export interface SegmentVideoOptions {
  /** The segment's ASS file and the fonts folder, when captions are burned in. */
  captions?: { assFile: string; fontsDir: string } | null
  watermark?: Watermark | null
  /** Encoder arguments; identical for every segment so the parts join by stream copy. */
  encoderArgs: string[]
}

/** Output arguments of the video encoder: libx264, or NVENC when the worker has it. GOP of two seconds. */
export function encoderArgs(encoder: 'libx264' | 'h264_nvenc', fps: Rate): string[] {
  const gop = String(Math.max(1, Math.round((2 * fps.num) / fps.den)))
  const common = ['-pix_fmt', 'yuv420p', '-g', gop, '-fps_mode', 'passthrough', '-video_track_timescale', String(fps.num)]
  if (encoder === 'h264_nvenc') return ['-c:v', 'h264_nvenc', '-preset', 'p4', '-rc', 'vbr', '-cq', '21', '-b:v', '0', ...common]
  return ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-profile:v', 'high', ...common]
}

/** Half a frame: seeks land between two frames, so rounding of the seek time never drops or repeats one. */
function seekOptions(sourceIn: number, frames: number, fps: Rate): string[] {
  const opts = ['-threads', '1']
  if (sourceIn > 0) opts.push('-ss', secondsOf(sourceIn - 0.5, fps))
  // read a little past the end; the graph trims to the exact frame
  opts.push('-t', secondsOf(frames + 2.5, fps))
  return opts
}

/** Samples of the half frame before `sourceIn` that the seek read (dropped again in the audio chain). */
function leadSamples(sourceIn: number, fps: Rate): number {
  return sourceIn > 0 ? Math.round((0.5 * EXPORT_SAMPLE_RATE * fps.den) / fps.num) : 0
}

function pictureChain(plan: RenderPlan, crop: PlanPiece['crop']): string {
  const { width: W, height: H } = plan.size!
  const steps = [`scale=w='trunc(iw*sar/2)*2':h=ih`, 'setsar=1']
  if (crop) steps.push(`crop=w='trunc(iw*${crop.w}/2)*2':h='trunc(ih*${crop.h}/2)*2':x='iw*${crop.x}':y='ih*${crop.y}'`)
  if (crop || plan.fit === 'cover') steps.push(`scale=${W}:${H}:force_original_aspect_ratio=increase:flags=bicubic`, `crop=${W}:${H}`)
  else
    steps.push(
      `scale=${W}:${H}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=bicubic`,
      `pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=black`,
    )
  steps.push('setsar=1', 'format=yuv420p')
  return steps.join(',')
}

/** One segment's picture: every piece normalized (rate, size, SAR, pixel format) and cut to its exact frames. */
export function segmentVideoSpec(
  plan: RenderPlan,
  segment: PlanSegment,
  sources: ReadonlyMap<string, ResolvedSource>,
  out: string,
  options: SegmentVideoOptions,
): FfmpegSpec {
  const { fps } = plan
  const { width: W, height: H } = plan.size!
  const rate = `${fps.num}/${fps.den}`
  const inputs: FfmpegSpec['inputs'] = []
  const filters: string[] = []
  const labels: string[] = []
  const addInput = (path: string, options: string[]) => inputs.push({ path, options }) - 1
  partsIn(plan.pieces, segment).forEach((part, i) => {
    const label = `v${i}`
    labels.push(`[${label}]`)
    const src = part.item.source ? sources.get(part.item.source) : undefined
    if (part.item.kind === 'gap' || !src?.hasVideo) {
      filters.push(`color=c=black:s=${W}x${H}:r=${rate}:d=${secondsOf(part.frames + 1, fps)},format=yuv420p,setsar=1,trim=end_frame=${part.frames},setpts=PTS-STARTPTS[${label}]`)
      return
    }
    const k = src.still
      ? addInput(src.url, ['-loop', '1', '-framerate', rate, '-t', secondsOf(part.frames + 1, fps)])
      : addInput(src.url, seekOptions(part.sourceIn, part.frames, fps))
    filters.push(
      `[${k}:v]setpts=PTS-STARTPTS,fps=${rate},${pictureChain(plan, part.item.crop)},tpad=stop=${part.frames}:stop_mode=clone,trim=end_frame=${part.frames},setpts=PTS-STARTPTS[${label}]`,
    )
  })
  let current = 'base'
  filters.push(labels.length === 1 ? `${labels[0]}null[base]` : `${labels.join('')}concat=n=${labels.length}:v=1:a=0[base]`)
  // anchored video: over the storyline from its frame, full frame (a cutaway), until it ends
  partsIn(
    plan.layers.filter((l) => l.kind === 'video' && sources.get(l.source)?.hasVideo),
    segment,
  ).forEach((part, j) => {
    const src = sources.get(part.item.source)!
    const k = src.still
      ? addInput(src.url, ['-loop', '1', '-framerate', rate, '-t', secondsOf(part.frames + 1, fps)])
      : addInput(src.url, seekOptions(part.sourceIn, part.frames, fps))
    filters.push(
      `[${k}:v]setpts=PTS-STARTPTS,fps=${rate},${pictureChain(plan, undefined)},tpad=stop=${part.frames}:stop_mode=clone,trim=end_frame=${part.frames},setpts=PTS-STARTPTS+${secondsOf(part.at, fps)}/TB[o${j}]`,
      `[${current}][o${j}]overlay=eof_action=pass:repeatlast=0[ov${j}]`,
    )
    current = `ov${j}`
  })
  if (options.watermark) {
    const wm = options.watermark
    const k = addInput(wm.url, [])
    const width = Math.max(2, Math.round((Math.min(W, H) * 0.2) / 2) * 2)
    const m = Math.round(Math.min(W, H) * 0.04)
    const x = wm.position.endsWith('left') ? `${m}` : `W-w-${m}`
    const y = wm.position.startsWith('top') ? `${m}` : `H-h-${m}`
    filters.push(
      `[${k}:v]format=rgba,colorchannelmixer=aa=${wm.opacity.toFixed(3)},scale=${width}:-1[wm]`,
      `[${current}][wm]overlay=x=${x}:y=${y}:format=auto[wmd]`,
    )
    current = 'wmd'
  }
  if (options.captions) {
    filters.push(`[${current}]ass=filename=${filterPath(options.captions.assFile)}:fontsdir=${filterPath(options.captions.fontsDir)}[cap]`)
    current = 'cap'
  }
  filters.push(`[${current}]format=yuv420p,trim=end_frame=${segment.frames}[vout]`)
  return {
    inputs,
    complexFilter: filters.join(';'),
    outputs: [{ target: out, options: ['-map', '[vout]', '-an', ...options.encoderArgs, '-f', 'mp4'] }],
  }
}

/** A path inside a filter graph option: the job's own scratch paths and the fonts folder, which need no escaping. */
function filterPath(p: string): string {
  if (!/^[\w./-]+$/.test(p)) throw new Error('A scratch path has characters a filter graph would need escaped.')
  return p
}

const AUDIO_FORMAT = `aresample=${EXPORT_SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo`

function audioPartChain(k: number, part: SegmentPart<{ sourceIn: number }>, samples: number, fps: Rate): string {
  const lead = leadSamples(part.sourceIn, fps)
  return `[${k}:a]${AUDIO_FORMAT},asetpts=N/SR/TB,atrim=start_sample=${lead}:end_sample=${lead + samples},asetpts=PTS-STARTPTS,apad=whole_len=${samples}`
}

function silence(samples: number): string {
  return `anullsrc=r=${EXPORT_SAMPLE_RATE}:cl=stereo,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=${samples}`
}

/**
 * One segment's mix before loudness: the storyline's audio (silence for gaps and silent media), anchored audio
 * at its sample, and the narration bus ducking the rest through a sidechain compressor. Written as float WAV so
 * segments join sample-exactly and nothing clips before the loudness pass.
 */
export function segmentAudioSpec(plan: RenderPlan, segment: PlanSegment, sources: ReadonlyMap<string, ResolvedSource>, out: string): FfmpegSpec {
  const { fps } = plan
  const inputs: FfmpegSpec['inputs'] = []
  const filters: string[] = []
  const segSamples = sampleAt(segment.start + segment.frames, fps) - sampleAt(segment.start, fps)
  const samplesOf = (part: SegmentPart<unknown>) =>
    sampleAt(segment.start + part.at + part.frames, fps) - sampleAt(segment.start + part.at, fps)
  const addInput = (path: string, options: string[]) => inputs.push({ path, options }) - 1
  const story: string[] = []
  partsIn(plan.pieces, segment).forEach((part, i) => {
    const src = part.item.source ? sources.get(part.item.source) : undefined
    const samples = samplesOf(part)
    if (plan.storylineMuted || part.item.kind !== 'clip' || !src?.hasAudio || src.still) filters.push(`${silence(samples)}[s${i}]`)
    else filters.push(`${audioPartChain(addInput(src.url, seekOptions(part.sourceIn, part.frames, fps)), part, samples, fps)}[s${i}]`)
    story.push(`[s${i}]`)
  })
  filters.push(story.length === 1 ? `${story[0]}anull[story]` : `${story.join('')}concat=n=${story.length}:v=0:a=1[story]`)
  const bus = (kind: 'audio' | 'narration', prefix: string): string[] =>
    partsIn(
      plan.layers.filter((l) => l.kind === kind && sources.get(l.source)?.hasAudio),
      segment,
    ).map((part, j) => {
      const src = sources.get(part.item.source)!
      const delay = sampleAt(segment.start + part.at, fps) - sampleAt(segment.start, fps)
      filters.push(
        `${audioPartChain(addInput(src.url, seekOptions(part.sourceIn, part.frames, fps)), part, samplesOf(part), fps)},adelay=delays=${delay}S:all=1[${prefix}${j}]`,
      )
      return `[${prefix}${j}]`
    })
  const anchored = bus('audio', 'x')
  let music = 'story'
  if (anchored.length) {
    filters.push(`[story]${anchored.join('')}amix=inputs=${anchored.length + 1}:normalize=0:duration=first[music]`)
    music = 'music'
  }
  const narration = bus('narration', 'n')
  let mix = music
  if (narration.length) {
    const all = narration.length === 1 ? `${narration[0]}anull` : `${narration.join('')}amix=inputs=${narration.length}:normalize=0:duration=longest`
    filters.push(
      `${all},apad=whole_len=${segSamples},atrim=end_sample=${segSamples},asplit=2[nsc][nmix]`,
      // the storyline and anchored audio duck under the narration, back up 0.4 s after it stops
      `[${music}][nsc]sidechaincompress=threshold=0.02:ratio=8:attack=15:release=400:makeup=1[ducked]`,
      '[ducked][nmix]amix=inputs=2:normalize=0:duration=first[mixed]',
    )
    mix = 'mixed'
  }
  filters.push(`[${mix}]apad=whole_len=${segSamples},atrim=end_sample=${segSamples}[aout]`)
  return {
    inputs,
    complexFilter: filters.join(';'),
    outputs: [{ target: out, options: ['-map', '[aout]', '-c:a', 'pcm_f32le', '-ar', String(EXPORT_SAMPLE_RATE), '-f', 'wav'] }],
  }
}

/** EBU R128 targets: -23 LUFS integrated, true peak -1 dBTP. */
export const LOUDNESS = { I: -23, TP: -1, LRA: 11 } as const

export interface LoudnessMeasurement {
  input_i: string
  input_tp: string
  input_lra: string
  input_thresh: string
  target_offset: string
}

/** Pass one: measure the joined mix. loudnorm prints its JSON on stderr. */
export function loudnessMeasureSpec(audioList: string): FfmpegSpec {
  return {
    inputs: [{ path: audioList, options: ['-f', 'concat', '-safe', '0'] }],
    outputs: [
      {
        target: '-',
        options: ['-map', '0:a', '-af', `loudnorm=I=${LOUDNESS.I}:TP=${LOUDNESS.TP}:LRA=${LOUDNESS.LRA}:print_format=json`, '-f', 'null'],
      },
    ],
  }
}

/** The JSON block loudnorm printed, from stderr lines. */
export function parseLoudness(lines: readonly string[]): LoudnessMeasurement | null {
  const start = lines.findIndex((l) => l.trim() === '{')
  if (start < 0) return null
  const end = lines.findIndex((l, i) => i > start && l.trim() === '}')
  if (end < 0) return null
  try {
    return JSON.parse(lines.slice(start, end + 1).join('\n')) as LoudnessMeasurement
  } catch {
    return null
  }
}

/** Pass two as a filter: linear gain from the measurement (silence is left as it is). */
export function loudnessFilter(m: LoudnessMeasurement | null, totalSamples: number): string {
  const tail = `aresample=${EXPORT_SAMPLE_RATE},apad=whole_len=${totalSamples},atrim=end_sample=${totalSamples}`
  const measured = Number(m?.input_i)
  if (!m || !Number.isFinite(measured) || measured < -70) return `anull,${tail}`
  return `loudnorm=I=${LOUDNESS.I}:TP=${LOUDNESS.TP}:LRA=${LOUDNESS.LRA}:measured_I=${m.input_i}:measured_TP=${m.input_tp}:measured_LRA=${m.input_lra}:measured_thresh=${m.input_thresh}:offset=${m.target_offset}:linear=true:print_format=none,${tail}`
}

/** The joined video segments (stream copy) and the mix, loudness-normalized once and encoded, as MP4 (moov first). */
export function muxSpec(videoList: string, audioList: string, loudness: string, target: string): FfmpegSpec {
  return {
    inputs: [
      { path: videoList, options: ['-f', 'concat', '-safe', '0'] },
      { path: audioList, options: ['-f', 'concat', '-safe', '0'] },
    ],
    complexFilter: `[1:a]${loudness}[a]`,
    outputs: [
      {
        target,
        options: [
          '-map', '0:v', '-map', '[a]',
          '-c:v', 'copy',
          '-c:a', 'aac', '-b:a', '192k', '-ar', String(EXPORT_SAMPLE_RATE), '-ac', '2',
          '-movflags', '+faststart',
          '-f', 'mp4',
        ],
      },
    ],
  }
}

/** audio-wav: the mix, loudness-normalized, as 24-bit PCM WAV. */
export function wavSpec(audioList: string, loudness: string, out: string): FfmpegSpec {
  return {
    inputs: [{ path: audioList, options: ['-f', 'concat', '-safe', '0'] }],
    complexFilter: `[0:a]${loudness}[a]`,
    outputs: [{ target: out, options: ['-map', '[a]', '-c:a', 'pcm_s24le', '-ar', String(EXPORT_SAMPLE_RATE), '-f', 'wav'] }],
  }
}

/** An ffconcat list of files in the job's scratch folder. */
export function concatList(files: readonly string[]): string {
  return `ffconcat version 1.0\n${files.map((f) => `file '${f.replace(/'/g, "'\\''")}'`).join('\n')}\n`
}
