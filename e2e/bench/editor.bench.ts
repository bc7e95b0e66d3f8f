import path from 'node:path'
import { retell, timeline, transcript } from '@cutroom/schema'
import type { Locator, Page } from 'playwright-core'
import { startWorkspaceStack } from '../src/workspace-stack'
import { type KeystrokeProfile, profileKeystrokes } from './profileKeystrokes'
import { percentile, writeBenchSection } from './report'

/**
 * Editor responsiveness in Chromium on the real stack (api serving the built client, collab server):
 * - dragging a clip in a 500-clip timeline: main-thread work per frame (pointer handler + canvas draw, from
 *   performance measures the timeline records) and the interval between frames while dragging;
 * - typing in a 20,000-word transcript and in a 2,000-block retell script: keystroke to the start of the next
 *   frame and to after that frame's paint; then the same keystrokes again under a Chrome trace and CPU profile,
 *   for where the time goes (the profiled pass is not part of the timings).
 * Build the client first (`cd client && pnpm exec vite build`).
 */

const CLIENT_DIST = process.env.CLIENT_DIST ?? path.resolve(import.meta.dirname, '../../client/dist')
const CLIPS = 500
const WORDS = 20_000
const BLOCKS = 2_000
const DRAG_STEPS = 240
const KEYSTROKES = 120
const TYPED = 'and then we cut to the wide shot '

// A 20,000-word transcript is a 2.2 MB first update: above the default per-update limit, so the seed gets room.
const stack = await startWorkspaceStack({ Ada: 'owner' }, { maxUpdateBytes: 8 * 1024 * 1024 })
const rows: string[] = []
const verdicts: string[] = []
const profiles: { scenario: string; profile: KeystrokeProfile; host: EditingHost }[] = []
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
    const work95 = percentile(figures.work, 95)
    verdicts.push(
      `Drag a clip (${zoom === 'fit' ? 'all clips visible' : 'default zoom'}): work p95 ${work95.toFixed(1)} ms ${work95 <= 16 ? 'meets' : 'misses'} <= 16 ms.`,
    )
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
  transcript.buildTranscript(trSeed.doc, {
    assetId: 'asset-bench',
    language: 'en',
    source: 'manual',
    sampleRate: 48_000,
    segments,
  })
  await trSeed.settled()
  trSeed.destroy()
  const tContext = await stack.contextFor(stack.people.Ada!)
  const tPage = await stack.openDocument(tContext, tr)
  await tPage.waitForSelector('[data-testid=transcript-editor] [data-word]', { timeout: 60_000 })
  await tPage.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 60_000 })
  const trScenario = `Type in a ${WORDS.toLocaleString('en')}-word transcript`
  const trBlock = tPage.locator('[data-testid=transcript-editor] p').nth(200)
  const typing = await measureTyping(tPage, trBlock)
  rows.push(`| ${trScenario} | ${fmt(typing.toFrame)} | ${fmt(typing.toPaint)} | ${KEYSTROKES} keystrokes |`)
  verdicts.push(verdict(trScenario, typing))
  profiles.push({
    scenario: trScenario,
    profile: await profileTyping(tPage, trBlock),
    host: await editingHost(tPage, '[data-testid=transcript-editor]'),
  })
  await tContext.close()

  // --- 2,000-block retell script ---------------------------------------------------------------------------
  const rt = await stack.createDocument('retell', 'Bench 2k blocks')
  const rtSeed = await stack.replica(rt)
  rtSeed.doc.transact(() => {
    // A chapter every 40 blocks, a shot every 5th, narration of 30-60 words otherwise.
    for (let b = 0; b < BLOCKS; b++) {
      if (b % 40 === 0)
        retell.addChapter(rtSeed.doc, { title: `Chapter ${b / 40 + 1}: the ${vocabulary[b % vocabulary.length]}` })
      else if (b % 5 === 0)
        retell.addShot(rtSeed.doc, {
          assetId: `asset-${b % 7}`,
          sourceIn: b * 10,
          sourceOut: b * 10 + 48,
          label: `Shot ${b}`,
        })
      else {
        const words = Array.from({ length: 30 + (b % 31) }, (_, w) => vocabulary[(b * 7 + w) % vocabulary.length]!)
        retell.addNarration(rtSeed.doc, { text: `${words.join(' ')}.` })
      }
    }
  })
  await rtSeed.settled()
  rtSeed.destroy()
  const rContext = await stack.contextFor(stack.people.Ada!)
  const rPage = await stack.openDocument(rContext, rt)
  await rPage.waitForSelector('[data-testid=retell-editor] [data-narration]', { timeout: 60_000 })
  await rPage.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 60_000 })
  const rtScenario = `Type in a ${BLOCKS.toLocaleString('en')}-block retell script`
  const rtBlock = rPage.locator('[data-testid=retell-editor] [data-narration]').nth(800)
  const rTyping = await measureTyping(rPage, rtBlock)
  rows.push(`| ${rtScenario} | ${fmt(rTyping.toFrame)} | ${fmt(rTyping.toPaint)} | ${KEYSTROKES} keystrokes |`)
  verdicts.push(verdict(rtScenario, rTyping))
  profiles.push({
    scenario: rtScenario,
    profile: await profileTyping(rPage, rtBlock),
    host: await editingHost(rPage, '[data-testid=retell-editor]'),
  })
  await rContext.close()
} finally {
  await stack.close()
}

const table = [
  '## Editor (Chromium)',
  '',
  'The workspace in headless Chromium (`--disable-gpu`, software rendering) on the real api and collab server.',
  'Drag: "work" is main-thread time per frame (pointer handler + canvas draw, from the timeline\'s',
  '`performance.measure` entries); "interval" is the time between animation frames while dragging (60 Hz is',
  '16.7 ms). Typing: 120 keys at the end of a block in the middle of the document, 20 ms apart; the first column',
  'is keydown to the start of the next animation frame (input handled, DOM updated), the second keydown to after',
  'that frame is painted (includes waiting for the next vsync). Every figure below is from one run of',
  '`npm run bench editor`; they vary by ±50% between runs on this shared 2-core machine.',
  '',
  '| scenario | work / to frame: p50, p95 (ms) | interval / to paint: p50, p95 (ms) | samples |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
  'Targets: dragging p95 <= 16 ms of work per frame; typing (transcript of 20,000 words, retell script of 2,000',
  'blocks) p95 <= 16 ms to the next frame and <= 33 ms to paint. In this run:',
  '',
  ...verdicts.map((v) => `- ${v}`),
  '',
  "### Where a keystroke's time goes",
  '',
  'The same 120 keystrokes again, under a Chrome trace and a sampled CPU profile (`e2e/bench/profileKeystrokes.ts`;',
  'the profiler slows the page, so these totals are above the unprofiled figures). Main-thread self time per',
  'keystroke: "textInput" is `WidgetBase::UpdateTextInputStateInternal`, where Chrome refreshes the IME\'s view of',
  "the focused editing host after every edit (inside the native insert, and again at each frame's commit): it",
  "copies the whole host's text and counts the caret's offset in it, so its cost grows with the document, not",
  'with the edit, and no decoration, plugin or CSS containment change reduces it. "other" is mostly the',
  "browser's native editing (the text insertion itself) and task overhead.",
  '',
  ...profiles.flatMap(({ scenario, profile, host }) => [describeProfile(scenario, profile, host), '']),
  `Why typing misses the frame: ${textInputShare()} is the text-input state of the one editing host that holds`,
  "the whole document, and it grows with the host's text nodes more than with its characters:",
  `${hostComparison()}. Script per keystroke is small next to it since the side panels stopped reading and`,
  're-rendering the whole document per key. Tried and not kept: `contain: content` on transcript paragraphs',
  '(no change beyond run-to-run noise), and inserting typed characters by a transaction instead of natively (the',
  'refresh moved into the DOM selection update that follows). Meeting the target needs smaller editing hosts (one',
  'per segment or block, so Chrome copies one paragraph), which a single ProseMirror view cannot give without',
  'losing selection and deletion across segments; rendering only what is near the viewport would shrink the',
  "host too, but breaks the browser's find-in-page over the whole transcript and needs caret guarantees that",
  '`content-visibility` could not keep.',
].join('\n')
writeBenchSection('editor', table)
process.stdout.write(`${table}\n`)
process.exit(0)

/** "met" or "missed by x ms (y×)" for each typing target, from the run's p95s. */
function verdict(scenario: string, typing: { toFrame: number[]; toPaint: number[] }): string {
  const against = (values: number[], target: number, what: string) => {
    const p95 = percentile(values, 95)
    return p95 <= target
      ? `${what} p95 ${p95.toFixed(1)} ms meets <= ${target} ms`
      : `${what} p95 ${p95.toFixed(1)} ms misses <= ${target} ms by ${(p95 - target).toFixed(1)} ms (${(p95 / target).toFixed(1)}x)`
  }
  return `${scenario}: ${against(typing.toFrame, 16, 'to frame')}; ${against(typing.toPaint, 33, 'to paint')}.`
}

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

/** Types characters at the end of `block` (one in the middle of the document), one at a time. */
async function measureTyping(page: Page, block: Locator): Promise<{ toFrame: number[]; toPaint: number[] }> {
  await placeCaretAtEnd(page, block)
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
  await typeKeys(page)
  await page.waitForTimeout(200)
  return page.evaluate(() => (window as unknown as { __typing: { toFrame: number[]; toPaint: number[] } }).__typing)
}

/** The same keystrokes in the same block, under a trace and a CPU profile. */
async function profileTyping(page: Page, block: Locator): Promise<KeystrokeProfile> {
  await placeCaretAtEnd(page, block)
  return profileKeystrokes(
    page,
    KEYSTROKES,
    async () => {
      await typeKeys(page)
      await page.waitForTimeout(200)
    },
    CLIENT_DIST,
  )
}

async function placeCaretAtEnd(page: Page, block: Locator): Promise<void> {
  await block.scrollIntoViewIfNeeded()
  await block.click()
  await page.keyboard.press('End')
}

async function typeKeys(page: Page): Promise<void> {
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.keyboard.type(TYPED[i % TYPED.length]!)
    await page.waitForTimeout(20)
  }
}

/** How much of each profiled keystroke the text-input state takes, and whether it is the largest share. */
function textInputShare(): string {
  return profiles
    .map(({ scenario, profile }) => {
      const total = Object.values(profile.phases).reduce((a, b) => a + b, 0)
      const largest = Object.values(profile.phases).every((v) => v <= profile.phases.textInput)
      const pct = ((100 * profile.phases.textInput) / total).toFixed(0)
      return `${largest ? 'the largest share' : 'a share'} (${pct}%) of a keystroke ${scenario.replace(/^Type in/, 'in')}`
    })
    .join(' and ')
}

/** The transcript's host against the retell script's: text nodes, characters and text-input time, as ratios. */
function hostComparison(): string {
  const [tr, rt] = profiles
  if (!tr || !rt) return 'one host only'
  const x = (a: number, b: number) => `${(a / b).toFixed(1)}x`
  return (
    `the transcript renders each word as a span with its text node and the space after it as another text node, ` +
    `so its host has ${x(tr.host.textNodes, rt.host.textNodes)} the retell script's text nodes with ` +
    `${x(tr.host.characters, rt.host.characters)} its characters, and takes ` +
    `${x(tr.profile.phases.textInput, rt.profile.phases.textInput)} its text-input time`
  )
}

interface EditingHost {
  textNodes: number
  characters: number
}

/** The size of the editor's editing host: what Chrome walks to refresh the IME's text-input state. */
async function editingHost(page: Page, selector: string): Promise<EditingHost> {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel)!
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    let textNodes = 0
    let characters = 0
    while (walker.nextNode()) {
      textNodes++
      characters += walker.currentNode.nodeValue?.length ?? 0
    }
    return { textNodes, characters }
  }, selector)
}

/** A profile as a short paragraph: ms per keystroke by phase, then the top trace events and script functions. */
function describeProfile(scenario: string, p: KeystrokeProfile, host: EditingHost): string {
  const ms = (v: number) => v.toFixed(2)
  const phases = (Object.entries(p.phases) as [string, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${ms(v)}`)
    .join(', ')
  const total = Object.values(p.phases).reduce((a, b) => a + b, 0)
  const [largest, largestMs] = (Object.entries(p.phases) as [string, number][]).sort((a, b) => b[1] - a[1])[0]!
  return [
    `**${scenario}** (editing host of ${host.textNodes.toLocaleString('en')} text nodes, ` +
      `${host.characters.toLocaleString('en')} characters; ${p.keystrokes} keystrokes, main thread ${ms(total)} ms ` +
      `per keystroke): ${phases}; ` +
      `${p.forcedLayouts.toFixed(1)} forced layouts per keystroke; the largest share is ${largest} ` +
      `(${((100 * largestMs) / total).toFixed(0)}%).`,
    '',
    `- trace events by self time (ms per keystroke): ${p.events
      .slice(0, 8)
      .map((e) => `${e.name} ${ms(e.ms)}`)
      .join(', ')}`,
    `- script by function (ms per keystroke): ${p.functions
      .slice(0, 8)
      .map((f) => `\`${f.name}\` ${ms(f.ms)}`)
      .join(', ')}`,
  ].join('\n')
}
