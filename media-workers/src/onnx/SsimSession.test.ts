import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { OnnxRuntimeAdapter } from '../OnnxRuntimeAdapter'
import { seededNoise } from './seededNoise'
import { SsimSession } from './SsimSession'
import { ssimReference } from './ssimReference'

const W = 48
const H = 32
const onnx = new OnnxRuntimeAdapter(['cpu'])

/** A textured frame: gradients plus seeded noise, 0..255. */
function texture(seed: number): Float32Array {
  const noise = seededNoise(seed)
  const f = new Float32Array(W * H)
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) f[i * W + j] = Math.min(255, Math.max(0, 40 + 3 * j + 2 * i + noise() * 60))
  return f
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!))
  return m
}

test('identical frames score 1.0 everywhere, in a batch of several', async () => {
  const s = await SsimSession.create(onnx, W, H)
  const frames = 3
  const x = new Float32Array(frames * W * H)
  for (let n = 0; n < frames; n++) x.set(texture(n + 1), n * W * H)
  const out = await s.compare(x, x.slice(), frames)
  assert.is(out.count, 3)
  assert.is(out.mapWidth, W - 10, 'valid region: 5 pixels short on each side')
  assert.is(out.mapHeight, H - 10)
  assert.is(out.map.length, frames * (W - 10) * (H - 10))
  assert.ok(
    maxDiff(out.map, new Float32Array(out.map.length).fill(1)) < 1e-4,
    `max |ssim - 1| ${maxDiff(out.map, new Float32Array(out.map.length).fill(1))}`,
  )
  for (const m of out.means) assert.ok(Math.abs(m - 1) < 1e-5, `mean ${m}`)
  await s.release()
})

test('a known change gives the reference map within 1e-4, and the per-frame mean of that map', async () => {
  const s = await SsimSession.create(onnx, W, H)
  const a = texture(7)
  const b = a.slice()
  // a bright patch pasted in, and mild noise added over the lower half
  for (let i = 6; i < 18; i++) for (let j = 20; j < 34; j++) b[i * W + j] = 250
  const noise = seededNoise(99)
  for (let k = (H / 2) * W; k < W * H; k++) b[k] = Math.min(255, Math.max(0, b[k]! + (noise() - 0.5) * 20))
  // second frame in the batch: a global brightness shift on a bright frame (the luminance term, near 255)
  const c = a.map((v) => Math.min(255, v + 150))
  const d = c.map((v) => Math.max(0, v - 25))
  const x = new Float32Array(2 * W * H)
  const y = new Float32Array(2 * W * H)
  x.set(a, 0)
  y.set(b, 0)
  x.set(c, W * H)
  y.set(d, W * H)
  const out = await s.compare(x, y, 2)
  const plane = (W - 10) * (H - 10)
  const refs = [ssimReference(a, b, W, H), ssimReference(c, d, W, H)]
  refs.forEach((ref, n) => {
    const got = out.map.subarray(n * plane, (n + 1) * plane)
    assert.ok(maxDiff(got, ref) < 1e-4, `frame ${n}: max error ${maxDiff(got, ref)}`)
    const mean = ref.reduce((p, q) => p + q, 0) / ref.length
    assert.ok(Math.abs(out.means[n]! - mean) < 1e-4, `frame ${n}: mean ${out.means[n]} vs ${mean}`)
  })
  // the change is where it was made: low SSIM over the patch, near 1 in the untouched upper right
  const mw = W - 10
  const at = (i: number, j: number) => out.map[(i - 5) * mw + (j - 5)]!
  assert.ok(at(12, 27) < 0.5, `patch centre ${at(12, 27)}`)
  assert.ok(at(8, 42) > 0.999, `untouched ${at(8, 42)}`)
  assert.ok(out.means[0]! < 0.95)
  await s.release()
})

test('frames too small for the window are refused with a clear message', async () => {
  const err = await SsimSession.create(onnx, 10, 40).then(
    () => null,
    (e: Error) => e,
  )
  assert.match(String(err?.message), /SSIM needs frames larger than 11x11; got 10x40/)
})

test.run()
