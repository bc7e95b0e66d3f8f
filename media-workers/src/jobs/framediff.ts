import { ErrorCode, type FramediffResult, scrubMessage } from '@cutroom/schema'
import { artifactId, artifactPrefix } from '../artifactId'
import type { JobContext, JobHandler } from '../JobContext'
import { JobCancelledError, PermanentJobError } from '../JobErrors'
import { OnnxRuntimeAdapter } from '../OnnxRuntimeAdapter'
import { SsimSession } from '../onnx/SsimSession'
import { DiffGrid } from './DiffGrid'
import { findRegions } from './findRegions'
import { type FramediffPlan, framediffPlan, framediffSpec } from './framediffPlan'
import { HeatmapSheets } from './HeatmapSheets'
import type { MediaInfo } from './mediaInfo'
import { RegionTracker } from './RegionTracker'
import { suggestFindings } from './suggestFindings'

export const FRAMEDIFF_DEFAULT_THRESHOLD = 0.98
export const FRAMEDIFF_DEFAULT_REGION_THRESHOLD = 0.75
/**
 * Frames per ONNX Runtime run. Four 360p frames keep each intermediate tensor of the graph near the size of a
 * core's L2 cache; eight measured slower per frame, and one or two gain nothing while paying more runs.
 */
const BATCH_FRAMES = 4
/** Heatmap and region cells are this many proxy pixels square. */
const CELL_PIXELS = 4
/** Regions of fewer cells (under about 100 proxy pixels) are compression noise, not edits. */
const MIN_REGION_CELLS = 6

export const FramediffSlot = {
  scores: 'framediff-scores',
  heatmap: 'framediff-heatmap',
  regions: 'framediff-regions',
} as const

/** What a framediff compared, in the result and in scores.json. */
export interface ComparedRange {
  /** Frames of version A's grid, inclusive. */
  from: number
  to: number
  frames: number
  fps: { num: number; den: number }
  width: number
  height: number
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6
const fpsText = (r: { num: number; den: number }) => `${round6(r.num / r.den)} fps`

async function versionInfo(ctx: JobContext<'framediff'>, key: string, name: 'A' | 'B'): Promise<MediaInfo> {
  try {
    return await ctx.mediaInfoAt(key)
  } catch (err) {
    if (err instanceof PermanentJobError)
      throw new PermanentJobError(err.code, `Version ${name} cannot be compared: ${err.message}`)
    throw err
  }
}

function notesFor(plan: FramediffPlan, compared: number): string[] {
  const notes: string[] = []
  if (plan.resampled)
    notes.push(
      `Version B runs at ${fpsText(plan.versionB.fps)} and version A at ${fpsText(plan.versionA.fps)}; B's frames were matched by time onto A's frames.`,
    )
  if (plan.rescaled)
    notes.push(
      `Version B is ${plan.versionB.width}x${plan.versionB.height} and version A ${plan.versionA.width}x${plan.versionA.height}; both were compared at ${plan.width}x${plan.height}.`,
    )
  const lengthsDiffer = plan.expectedFrames !== plan.versionA.frames || compared !== plan.versionA.frames
  if (lengthsDiffer)
    notes.push(
      `The versions differ in length (A ${plan.versionA.frames} frames, B ${plan.versionB.frames} frames at its own rate); frames 0-${compared - 1} of A were compared.`,
    )
  return notes
}

/**
 * Compares two versions frame by frame: ffmpeg decodes both onto version A's grid at proxy size as 8-bit luma,
 * streamed through a pipe; ONNX Runtime computes the SSIM map of each batch of frames; the maps become per-frame
 * scores, a heatmap (PNG sheets of pooled dissimilarity, one tile per frame) and changed-region boxes merged
 * over frame ranges. Frames below the threshold come back as suggested findings.
 */
export const framediff: JobHandler<'framediff'> = async (ctx) => {
  const { payload } = ctx
  const { assetA, assetB } = payload.input
  const threshold = payload.input.threshold ?? FRAMEDIFF_DEFAULT_THRESHOLD
  const regionThreshold = payload.input.regionThreshold ?? FRAMEDIFF_DEFAULT_REGION_THRESHOLD
  const [infoA, infoB] = await Promise.all([
    versionInfo(ctx, assetA.sourceKey, 'A'),
    versionInfo(ctx, assetB.sourceKey, 'B'),
  ])
  let plan: FramediffPlan
  try {
    plan = framediffPlan(infoA, infoB, payload.input.height)
  } catch (err) {
    throw new PermanentJobError(ErrorCode.UNSUPPORTED_MEDIA, (err as Error).message)
  }
  const [sourceA, sourceB] = await Promise.all([ctx.sourceAt(assetA.sourceKey), ctx.sourceAt(assetB.sourceKey)])
  const { width, height } = plan
  const frameSize = width * height
  const cols = Math.max(1, Math.round(width / CELL_PIXELS))
  const rows = Math.max(1, Math.round(height / CELL_PIXELS))
  const minCellValue = Math.max(1, Math.round(255 * (1 - regionThreshold)))

  const ssim = await SsimSession.create(new OnnxRuntimeAdapter(ctx.capabilities.onnxProviders, ctx.ffmpeg.timer), width, height)
  const grid = new DiffGrid(width, height, cols, rows)
  const sheets = new HeatmapSheets(ctx.workDir, cols, rows)
  const tracker = new RegionTracker()
  const scores: number[] = []
  const x = new Float32Array(BATCH_FRAMES * frameSize)
  const y = new Float32Array(BATCH_FRAMES * frameSize)
  let batched = 0

  const flush = async () => {
    const out = await ssim.compare(x, y, batched)
    const plane = out.mapWidth * out.mapHeight
    for (let k = 0; k < batched; k++) {
      const frame = scores.length
      scores.push(out.means[k]!)
      const cells = grid.pool(out.map, k * plane)
      tracker.add(frame, findRegions(cells, cols, rows, minCellValue, MIN_REGION_CELLS))
      await sheets.add(cells)
    }
    batched = 0
    ctx.progress(0.9 * Math.min(1, scores.length / plan.expectedFrames), 'comparing')
  }

  try {
    ctx.progress(0, 'comparing')
    const pairs = ctx.ffmpeg.rawFrames(framediffSpec(sourceA, sourceB, plan), 2 * frameSize, {
      signal: ctx.signal,
      // two batches ahead: ffmpeg decodes the next batch while ONNX Runtime computes this one
      bufferFrames: 2 * BATCH_FRAMES,
    })
    for await (const pair of pairs) {
      const base = batched * frameSize
      // the pair is A stacked over B: the first frameSize bytes are A
      for (let i = 0; i < frameSize; i++) {
        x[base + i] = pair[i]!
        y[base + i] = pair[frameSize + i]!
      }
      batched++
      if (batched === BATCH_FRAMES) await flush()
    }
    if (batched > 0) await flush()
  } catch (err) {
    sheets.discard()
    if (err instanceof JobCancelledError || ctx.signal.aborted) throw err
    throw new Error(`Decoding the versions failed: ${scrubMessage((err as Error).message)}`)
  } finally {
    await ssim.release()
  }
  if (scores.length === 0) {
    sheets.discard()
    throw new PermanentJobError(
      ErrorCode.UNSUPPORTED_MEDIA,
      'No frame of the two versions could be decoded; one of them may be damaged.',
    )
  }

  ctx.progress(0.9, 'encoding heatmap')
  const { layout, files } = await sheets.finish(ctx.ffmpeg, ctx.signal)
  const regions = tracker.finish().map((r) => ({ ...r, minSsim: round6(r.minSsim), box: roundBox(r.box) }))
  const suggestions = suggestFindings(scores, threshold, regions).map((s) => ({
    // stable per job and range, so a redelivered result proposes the same finding, not a second one
    id: artifactId(payload.jobId, `finding:${s.frame}-${s.frameEnd}`),
    ...s,
    worstSsim: round6(s.worstSsim),
    region: s.region ? roundBox(s.region) : null,
  }))
  const compared: ComparedRange = {
    from: 0,
    to: scores.length - 1,
    frames: scores.length,
    fps: plan.fps,
    width,
    height,
  }
  let sum = 0
  let worstFrame = 0
  scores.forEach((s, i) => {
    sum += s
    if (s < scores[worstFrame]!) worstFrame = i
  })
  const summary = {
    meanSsim: round6(sum / scores.length),
    minSsim: round6(scores[worstFrame]!),
    worstFrame,
    framesBelowThreshold: scores.filter((s) => s < threshold).length,
    threshold,
  }
  const versions = {
    versionA: { assetId: assetA.assetId, ...plan.versionA },
    versionB: { assetId: assetB.assetId, ...plan.versionB },
  }
  const notes = notesFor(plan, scores.length)
  const lengthsDiffer = scores.length !== plan.versionA.frames || plan.expectedFrames !== plan.versionA.frames

  ctx.progress(0.95, 'uploading')
  const prefixOf = (slot: string) => {
    const id = artifactId(payload.jobId, slot)
    return { id, prefix: artifactPrefix(payload.orgId, payload.projectId, assetB.assetId, id) }
  }
  const scoresAt = prefixOf(FramediffSlot.scores)
  const scoresFile = await ctx.storage.uploadBytes(
    `${scoresAt.prefix}/scores.json`,
    JSON.stringify({
      version: 1,
      compared,
      ...versions,
      resampled: plan.resampled,
      rescaled: plan.rescaled,
      lengthsDiffer,
      notes,
      summary,
      frames: scores.map((s, frame) => ({ frame, ssim: round6(s) })),
    }),
    'application/json',
  )
  const heatAt = prefixOf(FramediffSlot.heatmap)
  for (const [i, file] of files.entries())
    await ctx.storage.uploadFile(`${heatAt.prefix}/${layout.sheets[i]}`, file, 'image/png')
  const heatIndex = await ctx.storage.uploadBytes(
    `${heatAt.prefix}/index.json`,
    JSON.stringify({ ...layout, compared }),
    'application/json',
  )
  const regionsAt = prefixOf(FramediffSlot.regions)
  const regionsFile = await ctx.storage.uploadBytes(
    `${regionsAt.prefix}/regions.json`,
    JSON.stringify({ version: 1, compared, regionThreshold, regions }),
    'application/json',
  )
  ctx.progress(1, 'done')
  return {
    artifacts: [
      {
        id: scoresAt.id,
        slot: FramediffSlot.scores,
        key: scoresFile.key,
        contentType: 'application/json',
        size: scoresFile.size,
        metadata: { compared, summary },
      },
      {
        id: heatAt.id,
        slot: FramediffSlot.heatmap,
        key: heatIndex.key,
        contentType: 'application/json',
        size: heatIndex.size,
        metadata: { ...layout, compared },
      },
      {
        id: regionsAt.id,
        slot: FramediffSlot.regions,
        key: regionsFile.key,
        contentType: 'application/json',
        size: regionsFile.size,
        metadata: { count: regions.length, regionThreshold },
      },
    ],
    usage: [{ metric: 'media_seconds', quantity: (scores.length * plan.fps.den) / plan.fps.num }],
    result: {
      ...(payload.input.documentId ? { documentId: payload.input.documentId } : {}),
      ...versions,
      compared,
      resampled: plan.resampled,
      rescaled: plan.rescaled,
      lengthsDiffer,
      notes,
      summary,
      provider: ssim.provider,
      suggestions,
    } satisfies FramediffResult & { provider: string },
  }
}

function roundBox(b: { x: number; y: number; w: number; h: number }) {
  return { x: round6(b.x), y: round6(b.y), w: round6(b.w), h: round6(b.h) }
}
