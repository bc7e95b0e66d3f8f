import type { FfprobeData } from 'fluent-ffmpeg'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PermanentJobError } from '../JobErrors'
import { mediaInfoFrom, parseRational } from './mediaInfo'
import { ladderFor } from './transcode'

const probe = (streams: Record<string, unknown>[], duration?: number) =>
  ({ streams, format: { duration, format_name: 'mov,mp4' }, chapters: [] }) as unknown as FfprobeData

test('frame rates are reduced rationals; nonsense rates are refused', () => {
  assert.equal(parseRational('30000/1001'), { num: 30000, den: 1001 })
  assert.equal(parseRational('50/2'), { num: 25, den: 1 })
  assert.is(parseRational('0/0'), null)
  assert.is(parseRational('29.97'), null)
})

test('durations are integers in frames and samples', () => {
  const info = mediaInfoFrom(
    probe(
      [
        { codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, avg_frame_rate: '24000/1001', r_frame_rate: '24000/1001' },
        { codec_type: 'audio', codec_name: 'aac', sample_rate: 48000, channels: 2, duration: '10.0' },
      ],
      10.01,
    ),
  )
  assert.equal(info.video?.fps, { num: 24000, den: 1001 })
  assert.is(info.video?.durationFrames, 240)
  assert.is(info.audio?.durationSamples, 480000)
  assert.ok(info.hasVideo && info.hasAudio)
})

test('still images, streamless files and files without duration are not playable media', () => {
  const refused = (data: FfprobeData) => {
    try {
      mediaInfoFrom(data)
      return null
    } catch (err) {
      return err as PermanentJobError
    }
  }
  const still = refused(probe([{ codec_type: 'video', codec_name: 'png', width: 10, height: 10, avg_frame_rate: '25/1' }], 0.04))
  assert.is(still?.code, 'UNSUPPORTED_MEDIA')
  assert.is(refused(probe([{ codec_type: 'data' }], 5))?.code, 'UNSUPPORTED_MEDIA')
  assert.match(String(refused(probe([{ codec_type: 'audio', sample_rate: 44100 }]))?.message), /no playable duration/)
})

test('the HLS ladder never goes above the source and keeps the aspect ratio on even sizes', () => {
  const info = (width: number, height: number) =>
    mediaInfoFrom(probe([{ codec_type: 'video', codec_name: 'h264', width, height, avg_frame_rate: '25/1' }], 2))
  assert.equal(ladderFor(info(1920, 1080), [360, 720]).map((r) => `${r.width}x${r.height}`), ['640x360', '1280x720'])
  assert.equal(ladderFor(info(1280, 720), [1080, 360, 720]).map((r) => r.height), [360, 720])
  assert.equal(ladderFor(info(426, 240), [360, 720]).map((r) => `${r.width}x${r.height}`), ['426x240'])
  assert.equal(ladderFor(info(1080, 1920), [360]).map((r) => `${r.width}x${r.height}`), ['202x360'])
})

test.run()
