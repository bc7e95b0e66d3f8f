import { readFileSync } from 'node:fs'
import path from 'node:path'
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import type { CDPSession, Page } from 'playwright-core'

/**
 * Where the main thread's time goes while someone types: a Chrome trace (DevTools' timeline categories) and a
 * sampled V8 CPU profile of the same keystrokes, reduced to milliseconds per keystroke. Trace events are counted
 * by self time (an event's duration minus its children's), so a layout forced from script counts as layout; the
 * script's share is split by the function the profile sampled, mapped back to its source file through the
 * client build's source maps.
 */
export interface KeystrokeProfile {
  keystrokes: number
  /**
   * ms per keystroke by kind of work: script, style, layout, paint (pre-paint, paint, layerize, commit), gc,
   * textInput (the renderer refreshing the IME's text-input state: the focused editable's text and selection
   * offsets, which Chrome computes from the whole editing host after every edit), other.
   */
  phases: Record<Phase, number>
  /** The trace events with the most self time, ms per keystroke. */
  events: { name: string; ms: number }[]
  /** The script functions with the most self time, ms per keystroke, as `function (source file)`. */
  functions: { name: string; ms: number }[]
  /** Layouts forced synchronously from script, per keystroke. */
  forcedLayouts: number
}

export type Phase = 'script' | 'style' | 'layout' | 'paint' | 'textInput' | 'gc' | 'other'

const PHASE_OF: Record<string, Phase> = {
  EventDispatch: 'script',
  FunctionCall: 'script',
  TimerFire: 'script',
  FireAnimationFrame: 'script',
  RunMicrotasks: 'script',
  EvaluateScript: 'script',
  'v8.compile': 'script',
  'v8.compileModule': 'script',
  'V8.Execute': 'script',
  'v8.run': 'script',
  'v8.callFunction': 'script',
  FireIdleCallback: 'script',
  XHRReadyStateChange: 'script',
  UpdateLayoutTree: 'style',
  RecalculateStyles: 'style',
  ParseAuthorStyleSheet: 'style',
  Layout: 'layout',
  'LocalFrameView::layout': 'layout',
  IntersectionObserverController_computeIntersections: 'layout',
  HitTest: 'layout',
  PrePaint: 'paint',
  Paint: 'paint',
  PaintImage: 'paint',
  Layerize: 'paint',
  UpdateLayer: 'paint',
  UpdateLayerTree: 'paint',
  Commit: 'paint',
  CompositeLayers: 'paint',
  'Document::updateStyleAndLayout': 'layout',
  'WidgetBase::UpdateTextInputStateInternal': 'textInput',
  GetSelectionOffsets: 'textInput',
  MinorGC: 'gc',
  MajorGC: 'gc',
  'V8.GC_SCAVENGER': 'gc',
  BlinkGC: 'gc',
}

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: { name?: string; data?: Record<string, unknown>; beginData?: Record<string, unknown> }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

/**
 * Runs `type` (which presses `keystrokes` keys) under a trace and a CPU profile and returns the breakdown.
 * `clientDist` is the built client the page loads, for its source maps.
 */
export async function profileKeystrokes(
  page: Page,
  keystrokes: number,
  type: () => Promise<void>,
  clientDist: string,
): Promise<KeystrokeProfile> {
  const cdp = await page.context().newCDPSession(page)
  const events: TraceEvent[] = []
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])))
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()))
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'v8',
        'renderer',
        'blink.user_timing',
      ],
    },
  })
  await cdp.send('Profiler.start')
  await type()
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }
  await cdp.send('Tracing.end')
  await complete
  await cdp.detach()
  return {
    keystrokes,
    ...traceBreakdown(events, keystrokes),
    functions: topFunctions(profile, keystrokes, clientDist),
  }
}

function traceBreakdown(all: TraceEvent[], keystrokes: number): Omit<KeystrokeProfile, 'keystrokes' | 'functions'> {
  const mainThread = all.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
  // The page's renderer: the main thread that dispatched the key events.
  const keyThreads = new Set(
    all.filter((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown').map((e) => `${e.pid}:${e.tid}`),
  )
  const onMain = (e: TraceEvent) =>
    keyThreads.size
      ? keyThreads.has(`${e.pid}:${e.tid}`)
      : mainThread && e.pid === mainThread.pid && e.tid === mainThread.tid
  const spans = all
    .filter((e) => e.ph === 'X' && typeof e.dur === 'number' && onMain(e))
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!)
  const self = new Map<string, number>()
  const stack: { e: TraceEvent; end: number; children: number }[] = []
  const close = (until: number) => {
    while (stack.length && stack[stack.length - 1]!.end <= until) {
      const top = stack.pop()!
      self.set(top.e.name, (self.get(top.e.name) ?? 0) + Math.max(0, top.e.dur! - top.children))
      if (stack.length) stack[stack.length - 1]!.children += top.e.dur!
    }
  }
  let forced = 0
  for (const e of spans) {
    close(e.ts)
    if (e.name === 'Layout' && stack.some((s) => PHASE_OF[s.e.name] === 'script')) forced++
    stack.push({ e, end: e.ts + e.dur!, children: 0 })
  }
  close(Number.POSITIVE_INFINITY)
  const phases: Record<Phase, number> = { script: 0, style: 0, layout: 0, paint: 0, textInput: 0, gc: 0, other: 0 }
  for (const [name, us] of self) {
    // RunTask and its kin are the scheduler's frames around the work; their self time is the task overhead.
    phases[PHASE_OF[name] ?? 'other'] += us / 1000 / keystrokes
  }
  const events = [...self]
    .map(([name, us]) => ({ name, ms: us / 1000 / keystrokes }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 12)
  return { phases, events, forcedLayouts: forced / keystrokes }
}

function topFunctions(profile: CpuProfile, keystrokes: number, clientDist: string): KeystrokeProfile['functions'] {
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const maps = new Map<string, TraceMap | null>()
  const mapFor = (url: string): TraceMap | null => {
    if (!maps.has(url)) {
      let map: TraceMap | null = null
      try {
        const file = path.join(clientDist, new URL(url).pathname)
        map = new TraceMap(readFileSync(`${file}.map`, 'utf8'))
      } catch {
        map = null
      }
      maps.set(url, map)
    }
    return maps.get(url)!
  }
  const byName = new Map<string, number>()
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id)
    if (!us) continue
    const { functionName, url, lineNumber, columnNumber } = node.callFrame
    let name = functionName || '(anonymous)'
    if (!url) name = functionName || '(native)'
    else {
      const map = mapFor(url)
      const original = map ? originalPositionFor(map, { line: lineNumber + 1, column: columnNumber }) : null
      if (original?.source) {
        const source = original.source
          .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
          .replace(/^(\.\.\/)+/, '')
        name = `${original.name ?? functionName ?? '(anonymous)'} (${source}:${original.line})`
      } else name = `${name} (${path.basename(url)})`
    }
    // (idle) is the thread waiting for work, (program) is the browser's own native work between tasks.
    if (name === '(idle)') continue
    byName.set(name, (byName.get(name) ?? 0) + us)
  }
  return [...byName]
    .map(([name, us]) => ({ name, ms: us / 1000 / keystrokes }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 12)
}
