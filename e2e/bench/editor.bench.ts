import { timeline, transcript } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { startWorkspaceStack } from '../src/workspace-stack'
import { percentile, writeBenchSection } from './report'

/**
 * Editor responsiveness in Chromium on the real stack (api serving the built client, collab server):
 * - dragging a clip in a 500-clip timeline: main-thread work per frame (pointer handler + canvas draw, from
 *   performance measures the timeline records) and the interval between frames while dragging;
 * - typing in a 20,000-word transcript: keystroke to the start of the next frame and to after that frame's paint.
 * Build the client first (`cd client && pnpm exec vite build`).
 */

const CLIPS = 500
const WORDS = 20_000
const DRAG_STEPS = 240
const KEYSTROKES = 120

// A 20,000-word transcript is a 2.2 MB first update: above the default per-update limit, so the seed gets room.
const stack = await startWorkspaceStack({ Ada: 'owner' }, { maxUpdateBytes: 8 * 1024 * 1024 })
const rows: string[] = []
try {
  // --- 500-clip timeline ---------------------------------------------------------------------------------
  const tl = await stack.createDocument('timeline', 'Bench 500 clips')
  const seed = await stack.replica(tl)
  seed.doc.transact(() => {
    for (let i = 0; i < CLIPS; i++)
      timeline.insertClip(seed.doc, {
        at: { index: i },
        assetId: `asset-${i % 7}`,
        sourceIn: 0,
        sourceOut: 24 + ((i * 13) % 60),
        label: `Clip ${i + 1}`,
      })
  })
  await seed.settled()
  seed.destroy()

  const context = await stack.contextFor(stack.people.Ada!)
  const page = await stack.openDocument(context, tl)
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
  for (const zoom of ['default', 'fit'] as const) {
    if (zoom === 'fit') await page.click('button:has-text("Fit")')
    await page.waitForTimeout(300)
    const figures = await measureDrag(page)
    rows.push(
      `| Drag a clip, ${CLIPS}-clip timeline (${zoom === 'fit' ? 'all clips visible' : 'default zoom'}) | ${fmt(figures.work)} | ${fmt(figures.interval)} | ${figures.frames} frames |`,
    )
  }
  await context.close()

  // --- 20,000-word transcript ------------------------------------------------------------------------------
  const tr = await stack.createDocument('transcript', 'Bench 20k words')
  const trSeed = await stack.replica(tr)
  const vocabulary = 'the a we said that camera light again editor timeline frame sound take scene cut music'.split(' ')
  let t = 0
  const segments = []
  for (let s = 0; s < WORDS / 50; s++) {
    const words = []
    for (let w = 0; w < 50; w++) {
      words.push({ text: vocabulary[(s * 50 + w) % vocabulary.length]!, start: t, end: t + 14_000, confidence: 0.9 })
      t += 16_000
    }
    segments.push({ speaker: s % 2 ? 'Guest' : 'Host', words })
  }
  transcript.buildTranscript(trSeed.doc, { assetId: 'asset-bench', language: 'en', source: 'manual', sampleRate: 48_000, segments })
  await trSeed.settled()
  trSeed.destroy()
  const tContext = await stack.contextFor(stack.people.Ada!)
  const tPage = await stack.openDocument(tContext, tr)
  await tPage.waitForSelector('[data-testid=transcript-editor] [data-word]', { timeout: 60_000 })
  await tPage.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 60_000 })
  const typing = await measureTyping(tPage)
  rows.push(
    `| Type in a ${WORDS.toLocaleString('en')}-word transcript | ${fmt(typing.toFrame)} | ${fmt(typing.toPaint)} | ${KEYSTROKES} keystrokes |`,
  )
  await tContext.close()
} finally {
  await stack.close()
}

const table = [
  '## Editor (Chromium)',
  '',
  'The workspace in headless Chromium (`--disable-gpu`, software rendering) on the real api and collab server.',
  'Drag: "work" is main-thread time per frame (pointer handler + canvas draw, from the timeline\'s',
  '`performance.measure` entries); "interval" is the time between animation frames while dragging (60 Hz is',
  '16.7 ms). Typing: the first column is keydown to the start of the next animation frame (input handled, DOM',
  'updated), the second keydown to after that frame is painted (includes waiting for the next vsync).',
  'Target: p95 <= 16 ms. Dragging meets it by a wide margin (the canvas draws only visible clips and a drag',
  'touches the document once, on release). Typing in a 20,000-word transcript does not yet: a CPU profile shows',
  'script at a few ms per keystroke and the rest in style, layout and paint of the large editable DOM, which',
  'paragraph `content-visibility` cut by about 3x but not below a frame. Figures vary by ±50% between runs on',
  'this shared 2-core machine.',
  '',
  '| scenario | work / to frame: p50, p95 (ms) | interval / to paint: p50, p95 (ms) | samples |',
  '| --- | --- | --- | --- |',
  ...rows,
].join('\n')
writeBenchSection('editor', table)
process.stdout.write(`${table}\n`)
process.exit(0)

function fmt(values: number[]): string {
  return `${percentile(values, 50).toFixed(1)}, ${percentile(values, 95).toFixed(1)}`
}

/** Drags the clip under the middle of the storyline back and forth with real mouse input. */
async function measureDrag(page: Page): Promise<{ work: number[]; interval: number[]; frames: number }> {
  // A string, not a function: the TypeScript loader would wrap named inner functions in a helper the page lacks.
  await page.evaluate(`(() => {
    const b = (window.__bench = { draw: [], pointer: [], frames: [], on: true })
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (e.name === 'timeline-draw' ? b.draw : b.pointer).push(e.duration)
    }).observe({ entryTypes: ['measure'] })
    const tick = (now) => {
      b.frames.push(now)
      if (b.on) requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })()`)
  const box = (await page.locator('[data-testid=timeline-canvas]').boundingBox())!
  const y = box.y + 26 + 32
  const x0 = box.x + box.width * 0.3
  await page.mouse.move(x0, y)
  await page.mouse.down()
  for (let i = 1; i <= DRAG_STEPS; i++) {
    const phase = i / DRAG_STEPS
    await page.mouse.move(x0 + Math.sin(phase * Math.PI * 2) * box.width * 0.25, y)
  }
  await page.mouse.up()
  await page.waitForTimeout(200)
  const raw = await page.evaluate(() => {
    const w = window as unknown as { __bench: { draw: number[]; pointer: number[]; frames: number[]; on: boolean } }
    w.__bench.on = false
    return w.__bench
  })
  const intervals = raw.frames.slice(1).map((f, i) => f - raw.frames[i]!)
  // Pointer events between two frames coalesce into one draw: per frame, work = draw + its share of handler time.
  const handlerPerFrame = raw.pointer.reduce((a, b) => a + b, 0) / Math.max(1, raw.draw.length)
  return { work: raw.draw.map((d) => d + handlerPerFrame), interval: intervals, frames: raw.draw.length }
}

/** Types characters at the end of the middle paragraph, one at a time. */
async function measureTyping(page: Page): Promise<{ toFrame: number[]; toPaint: number[] }> {
  const paragraph = page.locator('[data-testid=transcript-editor] p').nth(200)
  await paragraph.scrollIntoViewIfNeeded()
  await paragraph.click()
  await page.keyboard.press('End')
  await page.evaluate(`(() => {
    const r = (window.__typing = { toFrame: [], toPaint: [] })
    window.addEventListener('keydown', () => {
      const t0 = performance.now()
      requestAnimationFrame(() => {
        r.toFrame.push(performance.now() - t0)
        const channel = new MessageChannel()
        channel.port1.onmessage = () => r.toPaint.push(performance.now() - t0)
        channel.port2.postMessage(null)
      })
    }, true)
  })()`)
  const text = 'and then we cut to the wide shot '
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.keyboard.type(text[i % text.length]!)
    await page.waitForTimeout(20)
  }
  await page.waitForTimeout(200)
  return page.evaluate(() => (window as unknown as { __typing: { toFrame: number[]; toPaint: number[] } }).__typing)
}
