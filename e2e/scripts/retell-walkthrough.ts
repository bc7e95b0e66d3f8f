/**
 * A walk through retelling on a running `npm start` stack, driving Debian's Chromium as a new user: Rita signs
 * up, makes the studio and the project, uploads a recording of flite speech, transcribes it, runs Highlights on
 * it and accepts the best suggestion into a timeline, creates a retell script, drafts it from the transcript,
 * synthesizes its narration, clicks Assemble timeline and lands on the assembled timeline. It prints the figures
 * (shots, clips, durations, narration items, chapter markers) and saves screenshots to docs/screenshots/retell-*.png.
 *
 * Not part of `npm test`: it needs a stack someone started, and it leaves its studio behind.
 *
 *   npm start                                     # note the api URL it prints
 *   node --import tsx e2e/scripts/retell-walkthrough.ts http://127.0.0.1:4000
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../src/chromium'

const run = promisify(execFile)
const API = (process.argv[2] ?? 'http://127.0.0.1:4000').replace(/\/$/, '')
const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots')
const PASSWORD = 'retell-walk-42'
const suffix = Math.random().toString(36).slice(2, 7)
const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
const SENTENCES = [
  'The harbor was quiet before the storm.',
  'Nobody on the pier said a word.',
  'She opened the door and walked outside.',
  'The boats came back before the rain.',
  'The bakery on the corner opens at five.',
  'Fresh bread fills the street with warm air.',
  'The baker sells rolls to the first workers.',
  'By noon the shelves of the bakery are empty.',
]

/** A 640x360 clip whose sound is the sentences spoken by flite (kal16), a second of silence around each. */
async function speechClip(dir: string, file: string): Promise<void> {
  const inputs = ['-f', 'lavfi', '-t', '1', '-i', 'anullsrc=r=16000:cl=mono']
  const labels = ['[0:a]']
  for (const [i, s] of SENTENCES.entries()) {
    const part = path.join(dir, `s${i}.wav`)
    await run('flite', ['-voice', 'kal16', '-t', s, '-o', part])
    inputs.push('-i', part, '-f', 'lavfi', '-t', '1', '-i', 'anullsrc=r=16000:cl=mono')
    labels.push(`[${2 * i + 1}:a]`, `[${2 * i + 2}:a]`)
  }
  const video = labels.length // the picture comes after every audio input
  await run('ffmpeg', [
    ...['-loglevel', 'error', '-y', ...inputs, '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'],
    ...['-filter_complex', `${labels.join('')}concat=n=${labels.length}:v=0:a=1[out]`],
    ...['-map', `${video}:v`, '-map', '[out]', '-shortest'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-ar', '48000', '-c:a', 'aac', file],
  ])
}

function watch(page: Page, who: string): Page {
  page.on('pageerror', (e) => log(`[${who} page error] ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') log(`[${who} console] ${m.text()}`)
  })
  return page
}

async function signUp(context: BrowserContext, name: string): Promise<Page> {
  const page = watch(await context.newPage(), name)
  const email = `${name.toLowerCase()}-${suffix}@example.test`
  await page.goto(`${API}/signup`)
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signup'), { timeout: 20_000 })
  log(`${name} signed up as ${email}`)
  return page
}

/** Creates a document from the project page and returns its id (the page is left on it). */
async function createDocument(page: Page, projectUrl: string, kind: string, title: string): Promise<string> {
  await page.goto(projectUrl)
  await page.getByLabel('Kind').selectOption(kind)
  await page.getByLabel('Title').fill(title)
  await page.getByRole('button', { name: 'Create' }).click()
  await page.waitForURL(/\/docs\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  return page.url().split('/').pop()!
}

async function poll<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** The timeline page's text alternative of the canvas: one entry per item, with its track, start and length. */
const timelineItems = (page: Page) =>
  page.$$eval('[data-testid=timeline-items] li', (items) =>
    items.map((li) => ({
      track: li.getAttribute('data-track') ?? '',
      start: Number(li.getAttribute('data-start')),
      duration: Number(li.getAttribute('data-duration')),
      text: li.textContent ?? '',
    })),
  )

const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-retell-walk-'))
const browser = await launchChromium()
const viewport = { width: 1440, height: 900 }
try {
  const clip = path.join(dir, 'harbor interview.mp4')
  await speechClip(dir, clip)

  const rita = await signUp(await browser.newContext({ viewport }), 'Rita')
  await rita.getByPlaceholder('Organization name, e.g. Northlight Films').fill(`Harbor Studio ${suffix}`)
  await rita.getByRole('button', { name: 'Create organization' }).click()
  await rita.getByPlaceholder('New project name').fill('Harbor retell')
  await rita.getByRole('button', { name: 'Create project' }).click()
  await rita.waitForURL(/\/projects\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const projectUrl = rita.url()

  await rita.locator('[data-testid=upload-input]').setInputFiles(clip)
  await rita
    .locator('[data-testid=asset-item]', { hasText: 'harbor interview.mp4' })
    .first()
    .waitFor({ timeout: 30_000 })
  await rita.waitForFunction(
    () => /\d+(\.\d+)? s/.test(document.querySelector('[data-testid=asset-item]')?.textContent ?? ''),
    null,
    { timeout: 120_000 },
  )
  log('recording uploaded and processed')

  // transcribe it from an empty transcript
  await createDocument(rita, projectUrl, 'transcript', 'Interview transcript')
  await rita.waitForSelector('[data-testid=transcribe-asset]', { timeout: 20_000 })
  const options = await rita.$$eval('[data-testid=transcribe-asset] option', (o) =>
    o.map((x) => (x as HTMLOptionElement).value),
  )
  await rita.selectOption('[data-testid=transcribe-asset]', options.find((v) => v)!)
  await rita.getByRole('button', { name: 'Transcribe' }).click()
  await rita.waitForSelector('[data-testid=transcribe-progress]', { timeout: 30_000 })
  const words = await poll(
    'the transcript',
    async () => {
      const n = await rita.locator('[data-testid=transcript-editor] span[data-word]').count()
      return n >= 15 && !(await rita.$('[data-testid=transcribe-progress]')) ? n : null
    },
    180_000,
  )
  log(`transcribed: ${words} words`)
  await rita.screenshot({ path: path.join(SHOTS, 'retell-transcript.png') })

  // Highlights on the recording, the best one accepted into a timeline
  const cutId = await createDocument(rita, projectUrl, 'timeline', 'Highlights cut')
  await rita.waitForSelector('[data-testid=timeline-canvas]', { timeout: 20_000 })
  await rita.goto(projectUrl)
  const asset = rita.locator('[data-testid=asset-item]', { hasText: 'harbor interview.mp4' }).first()
  await asset.locator('[data-testid=open-highlights]').click()
  const panel = asset.locator('[data-testid=highlights-panel]')
  await panel.locator('[data-testid=highlights-min]').fill('3')
  await panel.locator('[data-testid=highlights-max]').fill('8')
  await panel.locator('[data-testid=highlights-start]').click()
  await panel.locator('[data-testid=highlight]').first().waitFor({ timeout: 180_000 })
  await panel.locator('[data-testid=highlights-target]').selectOption(cutId)
  await panel.locator('[data-testid=highlight][data-rank="1"] [data-testid=highlight-accept]').click()
  await panel.locator('[data-testid=highlight][data-rank="1"][data-status=accepted]').waitFor({ timeout: 20_000 })
  const found = await panel.locator('[data-testid=highlight]').count()
  log(`Highlights: ${found} suggestions; #1 accepted into "Highlights cut"`)
  await rita.screenshot({ path: path.join(SHOTS, 'retell-highlights.png') })

  // a retell script drafted from the transcript
  const scriptId = await createDocument(rita, projectUrl, 'retell', 'Harbor story')
  await rita.waitForSelector(
    '[data-testid=retell-draft-bar] select[aria-label=Transcript] option[value]:not([value=""])',
    {
      state: 'attached',
      timeout: 20_000,
    },
  )
  await rita.getByLabel('Target minutes').fill('0.5')
  await rita.click('[data-testid=retell-generate]')
  const editor = rita.locator('[data-testid=retell-editor]')
  await poll('the draft', async () => (await rita.locator('[data-testid=narration-row]').count()) > 0, 120_000)
  await rita.waitForTimeout(500)
  const narrationBlocks = await rita.locator('[data-testid=narration-row]').count()
  const shots = await editor.locator('[data-shot] .shot-range').allInnerTexts()
  const chapters = await editor.locator('h2[data-chapter]').count()
  const shotFrames = shots.map((r) => r.split('–').map(Number)).reduce((n, [a, b]) => n + (b! - a!), 0)
  log(
    `draft: ${chapters} chapters, ${narrationBlocks} narration blocks, ${shots.length} shots (${shots.join(', ')}), ${shotFrames} frames of shots`,
  )

  // assembling before the narration has a voice is refused, saying what to do
  await rita.click('[data-testid=retell-assemble]')
  const refusal = await rita.locator('[data-testid=retell-assemble-error]').innerText({ timeout: 20_000 })
  log(`Assemble timeline before synthesizing: "${refusal}"`)
  await rita.screenshot({ path: path.join(SHOTS, 'retell-assemble-refused.png') })

  // the narration synthesized (flite through the tts jobs)
  await rita.getByRole('button', { name: 'Synthesize all' }).click()
  const durations = await poll(
    'every narration block to be synthesized',
    async () => {
      const d = await rita.locator('[data-testid=narration-row] [data-testid=narration-duration]').allInnerTexts()
      return d.length === narrationBlocks ? d : null
    },
    180_000,
  )
  log(`narration synthesized: ${durations.join(', ')}`)
  await rita.screenshot({ path: path.join(SHOTS, 'retell-script.png') })

  // Assemble timeline: the page opens the new timeline
  const [response] = await Promise.all([
    rita.waitForResponse((r) => r.url().includes('retell.assemble'), { timeout: 60_000 }),
    rita.click('[data-testid=retell-assemble]'),
  ])
  const body = (await response.json()) as { result?: { data?: Record<string, unknown> } } | { result?: unknown }[]
  const assembled = (Array.isArray(body) ? body[0] : body)?.result as {
    data: {
      documentId: string
      clips: number
      durationFrames: number
      narration: number
      markers: number
      fps: { num: number; den: number }
      warnings: string[]
    }
  }
  const result = assembled.data
  if (result.warnings.length) {
    // placements worth a look are shown before the timeline opens, with a link to it
    await rita.locator('.retell-assemble-warnings li').first().waitFor({ timeout: 10_000 })
    await rita.screenshot({ path: path.join(SHOTS, 'retell-assemble-warnings.png') })
    await rita.locator('[data-testid=retell-assembled] a').click()
  }
  await rita.waitForURL(new RegExp(`/docs/${result.documentId}$`), { timeout: 20_000 })
  await rita.waitForSelector('[data-testid=timeline-canvas]', { timeout: 20_000 })
  let shown: Awaited<ReturnType<typeof timelineItems>> = []
  const items = await poll(
    'the assembled items on the page',
    async () => {
      shown = await timelineItems(rita)
      return shown.filter((x) => x.track === 'storyline').length === result.clips ? shown : null
    },
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the page lists ${JSON.stringify(shown)}; the api said ${JSON.stringify(result)}`)
  })
  await rita.waitForTimeout(1500)
  await rita.screenshot({ path: path.join(SHOTS, 'retell-assembled.png') })

  const secs = (frames: number) => ((frames * result.fps.den) / result.fps.num).toFixed(2)
  const story = items.filter((x) => x.track === 'storyline')
  const voice = items.filter((x) => x.track !== 'storyline')
  const storyFrames = story.reduce((n, x) => n + x.duration, 0)
  log(
    `assembled timeline ${result.documentId}: ${result.clips} clips, ${result.durationFrames} frames (${secs(result.durationFrames)} s), ` +
      `${result.narration} narration items, ${result.markers} chapter markers, warnings: ${result.warnings.length ? result.warnings.join(' | ') : 'none'}`,
  )
  log(
    `storyline on the page: ${story.length} clips, ${storyFrames} frames (${secs(storyFrames)} s): ${story.map((s) => `${s.start}+${s.duration}`).join(', ')}`,
  )
  log(`narration on the page: ${voice.map((v) => `${v.start}+${v.duration} (${secs(v.duration)} s)`).join(', ')}`)
  if (storyFrames !== result.durationFrames || storyFrames !== shotFrames)
    throw new Error(
      `the storyline lasts ${storyFrames} frames, the api said ${result.durationFrames}, the shots add up to ${shotFrames}`,
    )
  if (story.length !== shots.length) throw new Error(`${story.length} clips for ${shots.length} shots`)
  if (voice.length !== result.narration) throw new Error('the page shows another number of narration items')
  // the assembled timeline exports like any other, its narration mixed in from the synthesized audio
  await rita.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
  await rita.getByRole('button', { name: 'Export', exact: true }).click()
  await rita.getByLabel('Preset').selectOption('720p')
  await rita.getByRole('button', { name: 'Start export' }).click()
  const progress = rita.locator('[data-testid=export-progress]')
  await progress.waitFor({ timeout: 15_000 })
  const exportStarted = Date.now()
  await rita.waitForSelector('[data-testid=export-progress]:is([data-status=succeeded], [data-status=failed])', { timeout: 300_000 })
  const exportText = (await progress.textContent()) ?? ''
  await rita.screenshot({ path: path.join(SHOTS, 'retell-export.png') })
  if ((await progress.getAttribute('data-status')) !== 'succeeded') throw new Error(`the export failed: ${exportText}`)
  log(`export: "${exportText.trim()}" after ${((Date.now() - exportStarted) / 1000).toFixed(0)} s`)
  log(`documents: script ${scriptId}, highlights cut ${cutId}, assembled ${result.documentId}`)
} finally {
  await browser.close()
  rmSync(dir, { recursive: true, force: true })
}
