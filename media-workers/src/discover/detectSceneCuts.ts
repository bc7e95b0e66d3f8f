import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FfmpegAdapter } from '../FfmpegAdapter'

export interface SceneCutOptions {
  signal: AbortSignal
  /** A folder for ffmpeg's metadata file. */
  workDir: string
  durationSeconds?: number
  onProgress?: (fraction: number) => void
  /** scdet's score (0..100) above which a frame starts a new scene; ffmpeg's default is 10. */
  threshold?: number
  /** Width frames are scaled to before scoring: the score is a mean over pixels, so a small picture is as good. */
  width?: number
}

/**
 * Hard cuts of the first video stream by ffmpeg's `scdet`: the index of the first frame of every new scene, in
 * order. Frames are counted as decoded (the filter's frame counter), so the index is exact on a constant-rate
 * source. ffmpeg writes the frames it flags to a metadata file, read when it exits.
 */
export async function detectSceneCuts(ffmpeg: FfmpegAdapter, source: string, o: SceneCutOptions): Promise<number[]> {
  const file = join(o.workDir, 'scdet.txt')
  const threshold = o.threshold ?? 10
  const width = o.width ?? 160
  // the path goes inside a filter argument: escape what the filtergraph parser treats as syntax
  const escaped = file.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/:/g, '\\:')
  await ffmpeg.run(
    {
      inputs: [{ path: source }],
      outputs: [
        {
          target: '-',
          options: [
            '-map',
            '0:v:0',
            '-an',
            '-sn',
            '-dn',
            '-vf',
            `scale=${width}:-2:flags=fast_bilinear,scdet=threshold=${threshold},metadata=mode=print:key=lavfi.scd.time:file=${escaped}`,
            '-f',
            'null',
          ],
        },
      ],
    },
    { signal: o.signal, durationSeconds: o.durationSeconds, onProgress: o.onProgress },
  )
  const text = await readFile(file, 'utf8').catch(() => '')
  return parseSceneCuts(text)
}

/** `frame:N pts:... pts_time:T` lines of ffmpeg's metadata filter -> frame indexes, ascending, without repeats. */
export function parseSceneCuts(text: string): number[] {
  const frames = new Set<number>()
  for (const m of text.matchAll(/^frame:(\d+)\s/gm)) frames.add(Number(m[1]))
  return [...frames].sort((a, b) => a - b)
}
