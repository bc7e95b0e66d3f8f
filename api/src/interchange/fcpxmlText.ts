import type { FrameRate } from '@cutroom/schema'

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

/** A time of `frames` frames as FCPXML's rational seconds (`1001/30000s`, `0s`). */
export function fcpTime(frames: number, fps: FrameRate): string {
  if (frames === 0) return '0s'
  const num = frames * fps.den
  const g = gcd(Math.abs(num), fps.num)
  return fps.num / g === 1 ? `${num / g}s` : `${num / g}/${fps.num / g}s`
}

/** XML 1.0 allows no control characters but tab, newline and carriage return. */
function withoutControls(s: string): string {
  return [...s].filter((c) => c.charCodeAt(0) >= 0x20 || c === '\t' || c === '\n' || c === '\r').join('')
}

/** A string as the value of a double-quoted XML attribute. */
export function xmlAttr(s: string): string {
  return withoutControls(s)
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '&#10;')
}
