import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ffmpegReason, fileLabel } from './ffmpegReason'

const url =
  'http://127.0.0.1:54569/t-9f3a1c2b7d/orgs/o/projects/p/assets/a/source/x.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3RVER%2F20250101&X-Amz-Signature=abc'

test('ffprobe’s reason is kept and the presigned source URL is named by its file name', () => {
  const stderr = [
    'ffprobe version 7.1.2-0+deb13u1 Copyright (c) 2007-2025 the FFmpeg developers',
    '  built with gcc 14 (Debian 14.2.0-19)',
    '  libavutil      59. 39.100 / 59. 39.100',
    '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x561832ad21c0] moov atom not found',
    `${url}: Invalid data found when processing input`,
  ]
  assert.is(ffmpegReason(stderr, [url]), 'moov atom not found; x.mp4: Invalid data found when processing input')
})

test('ffmpeg’s last troubled lines are kept, progress and summary lines are not', () => {
  const stderr = [
    `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '${url}':`,
    '  Duration: 00:00:02.00, start: 0.000000, bitrate: 119 kb/s',
    'Stream mapping:',
    '[h264 @ 0x55978996e780] Invalid NAL unit size (-1277485132 > 2459).',
    '[h264 @ 0x55978996e780] Error splitting the input into NAL units.',
    'Error while decoding stream #0:0: Invalid data found when processing input',
    '    Last message repeated 1 times',
    'size=       0kB time=00:00:00.00 bitrate=N/A speed=   0x',
    '[out#0/image2 @ 0x5630] Output file is empty, nothing was encoded (check -ss / -t / -frames parameters if used)',
    'Conversion failed!',
  ]
  assert.is(
    ffmpegReason(stderr, [url, '/tmp/cutroom-thumbnails-Ab12/sprite.jpg']),
    'Error splitting the input into NAL units.; Error while decoding stream #0:0: Invalid data found when processing input; Output file is empty, nothing was encoded (check -ss / -t / -frames parameters if used)',
  )
  assert.is(
    ffmpegReason(
      [`[image2 @ 0x1] Could not open file : /tmp/cutroom-thumbnails-Ab12/sprite.jpg`],
      ['/tmp/cutroom-thumbnails-Ab12/sprite.jpg'],
    ),
    'Could not open file : sprite.jpg',
  )
})

test('a URL or a path is known by its last segment', () => {
  assert.is(fileLabel(url), 'x.mp4')
  assert.is(fileLabel('https://s3.example/b/k/take%201.mov?sig=1'), 'take 1.mov')
  assert.is(fileLabel('/tmp/cutroom-transcode-x/hls/v%v/index.m3u8'), 'index.m3u8')
})

test.run()
