import type { FfprobeData } from 'fluent-ffmpeg'
import { ErrorCode } from '@cutroom/schema'
import { PermanentJobError } from '../JobErrors'

/** What probe stores on the asset. Durations are integers: frames at `fps` and samples at `sampleRate`. */
export interface MediaInfo {
  container: string
  durationSeconds: number
  video: null | {
    codec: string
    width: number
    height: number
    fps: { num: number; den: number }
    durationFrames: number
  }
  audio: null | {
    codec: string
    sampleRate: number
    channels: number
    durationSamples: number
  }
  hasAudio: boolean
  hasVideo: boolean
}

/** Picture-like codecs ffprobe reports as a video stream for still images. */
const STILL_IMAGE_CODECS = new Set(['png', 'mjpeg', 'bmp', 'gif', 'webp', 'tiff', 'jpegls', 'ppm', 'pgm'])

/** Turns ffprobe's output into MediaInfo, or throws UNSUPPORTED_MEDIA when the file is not playable media. */
export function mediaInfoFrom(data: FfprobeData): MediaInfo {
  const videoStream = data.streams.find(
    (s) => s.codec_type === 'video' && !STILL_IMAGE_CODECS.has(String(s.codec_name)) && !s.disposition?.attached_pic,
  )
  const audioStream = data.streams.find((s) => s.codec_type === 'audio')
  const durationSeconds = Number(data.format.duration ?? videoStream?.duration ?? audioStream?.duration)
  if (!videoStream && !audioStream) {
    throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, 'This file has no video or audio stream; upload a video or audio file.')
  }
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, 'This file has no playable duration; upload a video or audio file.')
  }
  let video: MediaInfo['video'] = null
  if (videoStream) {
    const fps = parseRational(videoStream.avg_frame_rate) ?? parseRational(videoStream.r_frame_rate)
    if (!fps || !videoStream.width || !videoStream.height) {
      throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, 'The video stream has no frame rate or size; the file may be damaged.')
    }
    const nbFrames = Number(videoStream.nb_frames)
    video = {
      codec: String(videoStream.codec_name ?? 'unknown'),
      width: videoStream.width,
      height: videoStream.height,
      fps,
      durationFrames:
        Number.isInteger(nbFrames) && nbFrames > 0 ? nbFrames : Math.round((durationSeconds * fps.num) / fps.den),
    }
  }
  let audio: MediaInfo['audio'] = null
  if (audioStream) {
    const sampleRate = Number(audioStream.sample_rate)
    if (!(sampleRate > 0)) throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, 'The audio stream has no sample rate.')
    const audioSeconds = Number(audioStream.duration)
    audio = {
      codec: String(audioStream.codec_name ?? 'unknown'),
      sampleRate,
      channels: Number(audioStream.channels ?? 1),
      durationSamples: Math.round((Number.isFinite(audioSeconds) && audioSeconds > 0 ? audioSeconds : durationSeconds) * sampleRate),
    }
  }
  return {
    container: String(data.format.format_name ?? 'unknown'),
    durationSeconds,
    video,
    audio,
    hasAudio: audio !== null,
    hasVideo: video !== null,
  }
}

/** `30000/1001` -> {num: 30000, den: 1001}, reduced; null for `0/0` and the like. */
export function parseRational(text: string | undefined): { num: number; den: number } | null {
  const m = /^(\d+)\/(\d+)$/.exec(text ?? '')
  if (!m) return null
  let num = Number(m[1])
  let den = Number(m[2])
  if (num <= 0 || den <= 0) return null
  const g = gcd(num, den)
  num /= g
  den /= g
  return { num, den }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}
