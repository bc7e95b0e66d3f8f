import { type Accessor, createSignal, onCleanup } from 'solid-js'
import { type FrameRate, nominalFps } from './timecode'

export interface Playback {
  frame: Accessor<number>
  /** 0 paused; 1 playing; other values are J/L shuttle speeds (negative plays backwards). */
  rate: Accessor<number>
  /** True while the viewer's video drives the frame (then the fallback clock stays idle). */
  setVideoDriven: (driven: boolean) => void
  seek: (frame: number) => void
  /** Moves the playhead from the video's frame callback without stopping playback. */
  advanceTo: (frame: number) => void
  step: (frames: number) => void
  togglePlay: () => void
  pause: () => void
  /** J (direction -1) and L (+1): each press doubles the speed in that direction, the other direction resets it. */
  shuttle: (direction: 1 | -1) => void
}

/**
 * Playhead and transport state. A requestAnimationFrame clock advances the frame while playing unless a video
 * element is driving it (the viewer reports exact frames via requestVideoFrameCallback).
 */
export function createPlayback(rate: Accessor<FrameRate>, duration: Accessor<number>): Playback {
  const [frame, setFrame] = createSignal(0)
  const [speed, setSpeed] = createSignal(0)
  let videoDriven = false
  let last = 0
  let carry = 0
  let raf = 0

  const clamp = (f: number) => Math.max(0, Math.min(Math.max(0, duration()), Math.round(f)))
  const tick = (now: number) => {
    raf = 0
    if (speed() === 0) return
    if (!videoDriven) {
      const fps = rate().num / rate().den
      carry += ((now - last) / 1000) * fps * speed()
      const whole = Math.trunc(carry)
      if (whole !== 0) {
        carry -= whole
        const next = clamp(frame() + whole)
        setFrame(next)
        if (next === 0 || next >= duration()) setSpeed(0)
      }
    }
    last = now
    raf = requestAnimationFrame(tick)
  }
  const start = (value: number) => {
    setSpeed(value)
    carry = 0
    last = performance.now()
    if (value !== 0 && !raf) raf = requestAnimationFrame(tick)
  }
  onCleanup(() => cancelAnimationFrame(raf))

  return {
    frame,
    rate: speed,
    setVideoDriven: (driven) => {
      videoDriven = driven
    },
    seek: (f) => setFrame(clamp(f)),
    advanceTo: (f) => setFrame(clamp(f)),
    step: (frames) => {
      start(0)
      setFrame(clamp(frame() + frames))
    },
    togglePlay: () => {
      if (speed() !== 0) start(0)
      else {
        if (frame() >= duration()) setFrame(0)
        start(1)
      }
    },
    pause: () => start(0),
    shuttle: (direction) => {
      const current = speed()
      if (Math.sign(current) === direction) start(Math.min(16, current * 2))
      else start(direction)
    },
  }
}

/** One second of frames at the nominal rate (Shift+Left/Right). */
export function oneSecond(rate: FrameRate): number {
  return nominalFps(rate)
}
