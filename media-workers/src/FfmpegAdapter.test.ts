import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FfmpegAdapter, parseProgressTime } from './FfmpegAdapter'
import { JobCancelledError } from './JobErrors'

const ffmpeg = new FfmpegAdapter()

test('progress is read from ffmpeg stats lines', () => {
  assert.is(parseProgressTime('frame=  250 fps=120 q=28.0 size=    512kB time=00:01:02.50 bitrate= 67.1kbits/s speed=4.1x'), 62.5)
  assert.is(parseProgressTime('size=N/A time=-00:00:00.04 bitrate=N/A'), null)
  assert.is(parseProgressTime('Stream mapping:'), null)
})

test('args() is exactly what run() executes, with multi-word values kept whole', () => {
  const args = ffmpeg.args({
    inputs: [{ path: 'in.mp4' }],
    outputs: [{ target: 'out/v%v/index.m3u8', options: ['-var_stream_map', 'v:0,a:0 v:1,a:1', '-f', 'hls'] }],
  })
  assert.equal(args, ['-i', 'in.mp4', '-y', '-var_stream_map', 'v:0,a:0 v:1,a:1', '-f', 'hls', 'out/v%v/index.m3u8'])
})

test('run reports progress and a cancel kills ffmpeg with JobCancelledError', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-ff-'))
  try {
    const ticks: number[] = []
    const controller = new AbortController()
    const running = ffmpeg.run(
      {
        inputs: [{ path: 'testsrc2=size=320x180:rate=25:duration=600', options: ['-f', 'lavfi', '-re'] }],
        outputs: [{ target: path.join(dir, 'out.mp4'), options: ['-c:v', 'libx264', '-preset', 'ultrafast'] }],
      },
      {
        signal: controller.signal,
        durationSeconds: 600,
        onProgress: (f) => {
          ticks.push(f)
          if (f > 0) controller.abort()
        },
      },
    )
    const err = await running.then(() => null, (e: Error) => e)
    assert.instance(err, JobCancelledError)
    assert.ok(ticks.some((t) => t > 0 && t < 0.1), ticks.join(','))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('rawFrames yields exact frames, stops ffmpeg when the reader leaves early, and throws ffmpeg errors', async () => {
  const spec = (seconds: number) => ({
    inputs: [{ path: `testsrc2=size=64x36:rate=25:duration=${seconds}`, options: ['-f', 'lavfi'] }],
    outputOptions: ['-f', 'rawvideo', '-pix_fmt', 'gray'],
  })
  const sizes: number[] = []
  for await (const frame of ffmpeg.rawFrames(spec(1), 64 * 36)) sizes.push(frame.length)
  assert.equal(
    sizes,
    Array.from({ length: 25 }, () => 64 * 36),
    'one second at 25 fps: 25 whole frames',
  )

  const started = Date.now()
  let taken = 0
  for await (const _ of ffmpeg.rawFrames(spec(3600), 64 * 36)) if (++taken === 3) break
  assert.is(taken, 3)
  assert.ok(Date.now() - started < 10_000, 'an hour of frames was not decoded after the loop left')

  const failed = await (async () => {
    for await (const _ of ffmpeg.rawFrames(
      { inputs: [{ path: '/nonexistent/clip.mp4' }], outputOptions: ['-f', 'rawvideo'] },
      100,
    )) {
    }
  })().then(
    () => null,
    (e: Error) => e,
  )
  assert.match(String(failed?.message), /No such file or directory/)

  const controller = new AbortController()
  const cancelled = await (async () => {
    for await (const _ of ffmpeg.rawFrames(spec(3600), 64 * 36, { signal: controller.signal })) controller.abort()
  })().then(
    () => null,
    (e: Error) => e,
  )
  assert.instance(cancelled, JobCancelledError)
})

test.run()
