import { type FrameRate, frameToSeconds } from './timecode'
import type { ViewItem } from './timelineView'

/** Where an asset's timeline artifacts live (absolute or same-origin URLs). */
export interface AssetMediaUrls {
  spriteUrl?: string
  /** The sprite layout (the thumbnails artifact carries it in its metadata). */
  spriteIndex?: SpriteIndex
  peaksUrl?: string
}

/** Layout of a thumbnail sprite sheet: tiles in rows, one tile every `interval` seconds of source. */
export interface SpriteIndex {
  tileWidth: number
  tileHeight: number
  columns: number
  count: number
  interval: number
}

/** Waveform peaks normalized to 0..1, `rate` values per second of source. */
export interface Peaks {
  rate: number
  values: Float32Array
}

interface Entry {
  urls: AssetMediaUrls
  sprite?: HTMLImageElement
  index?: SpriteIndex
  peaks?: Peaks
}

/**
 * Loads and draws filmstrips and waveforms for the assets on a timeline. Entries are (re)loaded when an asset's
 * artifact URLs change, so a thumbnail or waveform job finishing shows up on open timelines without a reload.
 */
export class AssetMediaCache {
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<() => void>()

  constructor(private readonly rate: () => FrameRate) {}

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Sets the artifact URLs of an asset, fetching whatever changed. */
  update(assetId: string, urls: AssetMediaUrls): void {
    const entry = this.entries.get(assetId) ?? { urls: {} }
    this.entries.set(assetId, entry)
    if (urls.spriteUrl && urls.spriteUrl !== entry.urls.spriteUrl) this.loadSprite(entry, urls.spriteUrl, 0)
    if (urls.spriteIndex) entry.index = urls.spriteIndex
    if (urls.peaksUrl && urls.peaksUrl !== entry.urls.peaksUrl) this.loadPeaks(entry, urls.peaksUrl, 0)
    entry.urls = { ...entry.urls, ...urls }
  }

  private loadSprite(entry: Entry, url: string, attempt: number): void {
    const image = new Image()
    image.crossOrigin = 'use-credentials'
    image.onload = () => {
      if (entry.urls.spriteUrl !== url) return
      entry.sprite = image
      this.emit()
    }
    image.onerror = () => retryLater(attempt, () => entry.urls.spriteUrl === url && this.loadSprite(entry, url, attempt + 1))
    image.src = url
  }

  private loadPeaks(entry: Entry, url: string, attempt: number): void {
    void fetchJson(url).then((json) => {
      if (entry.urls.peaksUrl !== url) return
      const peaks = parsePeaks(json)
      if (!peaks) return retryLater(attempt, () => entry.urls.peaksUrl === url && this.loadPeaks(entry, url, attempt + 1))
      entry.peaks = peaks
      this.emit()
    })
  }

  hasFilmstrip(assetId: string): boolean {
    const e = this.entries.get(assetId)
    return Boolean(e?.sprite && e.index)
  }

  hasWaveform(assetId: string): boolean {
    return Boolean(this.entries.get(assetId)?.peaks)
  }

  drawFilmstrip(
    ctx: CanvasRenderingContext2D,
    item: ViewItem,
    x: number,
    y: number,
    w: number,
    h: number,
    ppf: number,
    visibleX: number,
    visibleW: number,
  ): void {
    const entry = item.assetId ? this.entries.get(item.assetId) : undefined
    if (!entry?.sprite || !entry.index || h < 8) return
    const { tileWidth, tileHeight, columns, count, interval } = entry.index
    const tileW = Math.max(8, (h * tileWidth) / tileHeight)
    const first = Math.max(0, Math.floor((visibleX - x) / tileW))
    const last = Math.min(Math.ceil(w / tileW), Math.ceil((visibleX + visibleW - x) / tileW))
    for (let slot = first; slot < last; slot++) {
      const frame = (item.sourceIn ?? 0) + (slot * tileW + tileW / 2) / ppf
      const tile = Math.min(count - 1, Math.max(0, Math.floor(frameToSeconds(frame, this.rate()) / interval)))
      const sx = (tile % columns) * tileWidth
      const sy = Math.floor(tile / columns) * tileHeight
      ctx.drawImage(entry.sprite, sx, sy, tileWidth, tileHeight, x + slot * tileW, y, tileW, h)
    }
  }

  drawWaveform(
    ctx: CanvasRenderingContext2D,
    item: ViewItem,
    x: number,
    y: number,
    w: number,
    h: number,
    ppf: number,
    visibleX: number,
    visibleW: number,
  ): void {
    const entry = item.assetId ? this.entries.get(item.assetId) : undefined
    if (!entry?.peaks) return
    const { rate, values } = entry.peaks
    const seconds = frameToSeconds(1, this.rate())
    const mid = y + h / 2
    ctx.fillStyle = 'rgba(180, 240, 210, 0.85)'
    const from = Math.max(0, Math.floor(visibleX - x))
    const to = Math.min(w, Math.ceil(visibleX + visibleW - x))
    // peaks per pixel column: the loudest of the peaks it covers (sampling one would drop transients when zoomed out)
    const perPx = (seconds * rate) / ppf
    for (let px = from; px < to; px++) {
      const first = Math.floor(((item.sourceIn ?? 0) + px / ppf) * seconds * rate)
      if (first >= values.length) break
      let value = 0
      for (let i = first, end = Math.min(values.length, Math.max(first + 1, Math.ceil(first + perPx))); i < end; i++)
        value = Math.max(value, values[i]!)
      const bar = Math.max(1, value * h)
      ctx.fillRect(x + px, mid - bar / 2, 1, bar)
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener()
  }
}

/**
 * The collab server can set an artifact into the document a moment before the api has recorded it, and the
 * api's route answers 404 until then: a failed load is retried with backoff (about half a minute in all).
 */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 16_000]

function retryLater(attempt: number, retry: () => void): void {
  const delay = RETRY_DELAYS_MS[attempt]
  if (delay !== undefined) setTimeout(retry, delay)
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { credentials: 'include' })
    return response.ok ? await response.json() : null
  } catch {
    return null
  }
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** Accepts the sprite index written by the thumbnails worker; tolerant of field spellings. */
export function parseSpriteIndex(json: unknown): SpriteIndex | null {
  if (!json || typeof json !== 'object') return null
  const o = json as Record<string, unknown>
  const tileWidth = num(o.tileWidth) ?? num(o.width)
  const tileHeight = num(o.tileHeight) ?? num(o.height)
  const columns = num(o.columns) ?? num(o.cols)
  const count = num(o.count) ?? num(o.tiles) ?? (Array.isArray(o.frames) ? o.frames.length : undefined)
  const fps = o.fps as { num?: unknown; den?: unknown } | undefined
  const framesPerTile = num(o.framesPerTile)
  // Tile i shows source frame i * framesPerTile at the sprite's fps: convert that spacing to seconds.
  const interval =
    num(o.interval) ??
    (framesPerTile && fps && num(fps.num) && num(fps.den) ? (framesPerTile * num(fps.den)!) / num(fps.num)! : undefined)
  if (!tileWidth || !tileHeight || !columns || !count || !interval) return null
  return { tileWidth, tileHeight, columns, count, interval }
}

/**
 * Reads the waveform worker's peaks.json (min/max pairs per level, 8-bit) at the level of about `wanted`
 * samples per peak, as magnitudes normalized to 0..1. Also accepts a flat `{ rate, peaks }` list.
 */
export function parsePeaks(json: unknown, wanted = 1024): Peaks | null {
  if (!json || typeof json !== 'object') return null
  const o = json as Record<string, unknown>
  const sampleRate = num(o.sampleRate)
  if (Array.isArray(o.levels) && sampleRate) {
    const levels = o.levels as { samplesPerPeak?: unknown; data?: unknown }[]
    const level =
      levels.find((l) => num(l.samplesPerPeak)! >= wanted && Array.isArray(l.data)) ?? levels[levels.length - 1]
    const spp = num(level?.samplesPerPeak)
    if (!level || !spp || !Array.isArray(level.data)) return null
    const data = level.data as number[]
    const values = new Float32Array(Math.floor(data.length / 2))
    for (let i = 0; i < values.length; i++)
      values[i] = Math.min(1, Math.max(Math.abs(data[2 * i] ?? 0), Math.abs(data[2 * i + 1] ?? 0)) / 128)
    return { rate: sampleRate / spp, values }
  }
  const raw = (Array.isArray(o.peaks) ? o.peaks : Array.isArray(o.data) ? o.data : null) as unknown[] | null
  const rate =
    num(o.rate) ??
    num(o.peaksPerSecond) ??
    (num(o.sampleRate) && num(o.samplesPerPeak) ? num(o.sampleRate)! / num(o.samplesPerPeak)! : undefined)
  if (!raw || !rate) return null
  const values = new Float32Array(raw.length)
  let max = 0
  for (let i = 0; i < raw.length; i++) {
    const v = Math.abs(Number(raw[i]) || 0)
    values[i] = v
    if (v > max) max = v
  }
  if (max > 0) for (let i = 0; i < values.length; i++) values[i] = values[i]! / max
  return { rate, values }
}
