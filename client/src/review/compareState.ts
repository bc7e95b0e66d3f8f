/** How the two versions are shown. `ab` shows one at a time (toggled with a key). */
export const COMPARE_MODES = ['side', 'wipe', 'diff', 'onion', 'ab'] as const
export type CompareMode = (typeof COMPARE_MODES)[number]

export const COMPARE_MODE_LABEL: Record<CompareMode, string> = {
  side: 'Side by side',
  wipe: 'Wipe',
  diff: 'Difference',
  onion: 'Onion skin',
  ab: 'A/B toggle',
}

/** Everything a person sets up to look at a frame; kept in the URL and shared with followers. */
export interface CompareState {
  mode: CompareMode
  /** Frames B is shown ahead (+) or behind (-) A: -1, 0 or 1. */
  offset: number
  /** Heatmap gain, 1..16. */
  gain: number
  /** Heatmap or onion-skin opacity, 0..1. */
  opacity: number
  /** Wipe divider position across the frame, 0..1. */
  wipe: number
  /** In A/B toggle mode: true while B is shown. */
  showB: boolean
  frame: number
}

export const DEFAULT_COMPARE: CompareState = {
  mode: 'side',
  offset: 0,
  gain: 4,
  opacity: 0.6,
  wipe: 0.5,
  showB: false,
  frame: 0,
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v))
const round = (v: number, digits: number) => Number(v.toFixed(digits))

/** Brings any values into their ranges (used for the URL, awareness from others, and sliders alike). */
export function normalizeCompare(state: Partial<CompareState>): CompareState {
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)
  return {
    mode: COMPARE_MODES.includes(state.mode as CompareMode) ? (state.mode as CompareMode) : DEFAULT_COMPARE.mode,
    offset: clamp(Math.round(num(state.offset, 0)), -1, 1),
    gain: round(clamp(num(state.gain, DEFAULT_COMPARE.gain), 1, 16), 2),
    opacity: round(clamp(num(state.opacity, DEFAULT_COMPARE.opacity), 0, 1), 3),
    wipe: round(clamp(num(state.wipe, DEFAULT_COMPARE.wipe), 0, 1), 3),
    showB: state.showB === true,
    frame: Math.max(0, Math.floor(num(state.frame, 0))),
  }
}

/** The compare state as URL query parameters (only what differs from the defaults, plus the frame). */
export function encodeCompareState(state: CompareState, base = ''): string {
  const params = new URLSearchParams(base)
  const s = normalizeCompare(state)
  const set = (key: string, value: string, isDefault: boolean) =>
    isDefault ? params.delete(key) : params.set(key, value)
  set('mode', s.mode, s.mode === DEFAULT_COMPARE.mode)
  set('offset', String(s.offset), s.offset === 0)
  set('gain', String(s.gain), s.gain === DEFAULT_COMPARE.gain)
  set('opacity', String(s.opacity), s.opacity === DEFAULT_COMPARE.opacity)
  set('wipe', String(s.wipe), s.wipe === DEFAULT_COMPARE.wipe)
  set('b', '1', !s.showB)
  set('frame', String(s.frame), false)
  return params.toString()
}

/** Reads the compare state from a query string; anything missing or malformed takes its default. */
export function decodeCompareState(search: string): CompareState {
  const params = new URLSearchParams(search)
  const num = (key: string) => {
    const raw = params.get(key)
    if (raw === null || raw.trim() === '') return undefined
    const v = Number(raw)
    return Number.isFinite(v) ? v : undefined
  }
  return normalizeCompare({
    mode: (params.get('mode') ?? undefined) as CompareMode | undefined,
    offset: num('offset'),
    gain: num('gain'),
    opacity: num('opacity'),
    wipe: num('wipe'),
    showB: params.get('b') === '1',
    frame: num('frame'),
  })
}
