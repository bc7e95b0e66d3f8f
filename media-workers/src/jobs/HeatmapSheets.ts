import { createWriteStream, type WriteStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { FfmpegAdapter } from '../FfmpegAdapter'

/** How heatmap tiles are laid out in sheets; stored as the heatmap artifact's index and metadata. */
export interface HeatmapLayout {
  /** Sheet file names, in order; sheet k holds compared frames k*framesPerSheet onwards. */
  sheets: string[]
  tileWidth: number
  tileHeight: number
  columns: number
  rows: number
  framesPerSheet: number
  /** Tiles in all; tile i is compared frame i, at (i mod framesPerSheet) mod columns, div columns. */
  count: number
  /** 8-bit grayscale PNG: value / 255 = clamp(1 - SSIM, 0, 1), the largest in the cell (0 = identical). */
  encoding: 'gray8-dissimilarity-max'
}

export const HEATMAP_COLUMNS = 10
export const HEATMAP_ROWS = 10

/**
 * Collects one small dissimilarity tile per compared frame into a raw file as the comparison runs (so memory
 * holds one tile, not the clip), then has ffmpeg tile them into PNG sheets of 10x10 frames.
 */
export class HeatmapSheets {
  private readonly out: WriteStream
  private count = 0
  private readonly raw: string
  /** A write failure (disk full, or a tile still on its way when a cancel discarded the file). */
  private failure: Error | null = null

  constructor(
    private readonly dir: string,
    readonly tileWidth: number,
    readonly tileHeight: number,
  ) {
    this.raw = path.join(dir, 'heatmap.gray')
    // tiles are small (a few KiB) and come one per frame: a large buffer lets the comparison run on instead of
    // waiting for a drain after every second tile
    this.out = createWriteStream(this.raw, { highWaterMark: 1024 * 1024 })
    // an error without a listener would end the worker process
    this.out.on('error', (err) => {
      this.failure ??= err
    })
  }

  async add(tile: Uint8Array): Promise<void> {
    if (tile.length !== this.tileWidth * this.tileHeight) throw new Error('A heatmap tile has the wrong size.')
    if (this.failure || this.out.destroyed) throw this.failure ?? new Error('The heatmap was discarded.')
    this.count++
    if (!this.out.write(Buffer.from(tile)))
      await new Promise<void>((r) => {
        const done = () => {
          this.out.off('drain', done)
          this.out.off('close', done)
          r()
        }
        this.out.on('drain', done)
        this.out.on('close', done)
      })
  }

  /** Encodes the sheets; returns the layout and the sheet files (absolute paths, in order). */
  async finish(ffmpeg: FfmpegAdapter, signal?: AbortSignal): Promise<{ layout: HeatmapLayout; files: string[] }> {
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())))
    if (this.failure) throw this.failure
    const framesPerSheet = HEATMAP_COLUMNS * HEATMAP_ROWS
    if (this.count > 0)
      await ffmpeg.run(
        {
          inputs: [
            {
              path: this.raw,
              options: [
                '-f',
                'rawvideo',
                '-pix_fmt',
                'gray',
                '-s',
                `${this.tileWidth}x${this.tileHeight}`,
                '-framerate',
                '25',
              ],
            },
          ],
          outputs: [
            {
              target: path.join(this.dir, 'heatmap_%05d.png'),
              options: [
                '-vf',
                `tile=${HEATMAP_COLUMNS}x${HEATMAP_ROWS}`,
                '-start_number',
                '0',
                '-pix_fmt',
                'gray',
                '-c:v',
                'png',
                '-f',
                'image2',
              ],
            },
          ],
        },
        { signal },
      )
    const sheets = (await readdir(this.dir)).filter((f) => /^heatmap_\d{5}\.png$/.test(f)).sort()
    const expected = Math.ceil(this.count / framesPerSheet)
    if (sheets.length !== expected)
      throw new Error(`ffmpeg wrote ${sheets.length} heatmap sheets for ${this.count} frames; expected ${expected}.`)
    return {
      layout: {
        sheets,
        tileWidth: this.tileWidth,
        tileHeight: this.tileHeight,
        columns: HEATMAP_COLUMNS,
        rows: HEATMAP_ROWS,
        framesPerSheet,
        count: this.count,
        encoding: 'gray8-dissimilarity-max',
      },
      files: sheets.map((f) => path.join(this.dir, f)),
    }
  }

  /** Closes the raw file without encoding (on failure or cancel). */
  discard(): void {
    this.out.destroy()
  }
}
