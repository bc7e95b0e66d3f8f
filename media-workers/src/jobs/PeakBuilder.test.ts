import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PeakBuilder } from './PeakBuilder'

function pcm(samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2)
  samples.forEach((s, i) => {
    b.writeInt16LE(s, i * 2)
  })
  return b
}

test('peaks keep min and max per bucket at every level, across odd chunk boundaries', async () => {
  const builder = new PeakBuilder(48000)
  // 1024 samples: silence, then a full-scale square burst in the second bucket of 256
  const samples = Array.from({ length: 1024 }, (_, i) => (i >= 256 && i < 512 ? (i % 2 ? 32767 : -32768) : 0))
  const bytes = pcm(samples)
  // split in the middle of a sample to exercise the carry
  await new Promise<void>((resolve) => builder.write(bytes.subarray(0, 301), () => resolve()))
  await new Promise<void>((resolve) => builder.end(bytes.subarray(301), () => resolve()))
  const peaks = builder.result()
  assert.is(peaks.samples, 1024)
  const [l0, l1, l2] = peaks.levels
  assert.is(l0!.length, 4)
  assert.equal(l0!.data, [0, 0, -128, 127, 0, 0, 0, 0])
  assert.equal([l1!.samplesPerPeak, l1!.length, ...l1!.data], [1024, 1, -128, 127])
  assert.equal([l2!.samplesPerPeak, l2!.length], [4096, 1])
})

test.run()
