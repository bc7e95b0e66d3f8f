/**
 * A walk through speech on a running `npm start` stack, driving Debian's Chromium as two people: Sam (owner)
 * signs up, makes the studio and the project, adds Ben (editor), uploads a clip of flite speech, creates an empty
 * transcript and transcribes the clip from it while Ben watches the words arrive in his own browser; Sam corrects
 * a misspelt word, realigns it, and exports the transcript as SRT from the Subtitles menu (the file is checked:
 * cues, times, the correction). Screenshots go to docs/screenshots/.
 *
 * Not part of `npm test`: it needs a stack someone started, and it leaves its studio behind.
 *
 *   npm start                                     # note the api URL it prints
 *   node --import tsx e2e/scripts/speech-walkthrough.ts http://127.0.0.1:4000
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../src/chromium'

const run = promisify(execFile)
const API = (process.argv[2] ?? 'http://127.0.0.1:4000').replace(/\/$/, '')
const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots')
const PASSWORD = 'speech-walk-42'
const suffix = Math.random().toString(36).slice(2, 7)
const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
const SENTENCES = [
  'The harbor was quiet before the storm.',
  'Nobody on the pier said a word.',
  'She opened the door and walked outside.',
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

async function signUp(context: BrowserContext, name: string): Promise<{ page: Page; email: string }> {
  const page = watch(await context.newPage(), name)
  const email = `${name.toLowerCase()}-${suffix}@example.test`
  await page.goto(`${API}/signup`)
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signup'), { timeout: 20_000 })
  log(`${name} signed up as ${email}`)
  return { page, email }
}

const words = (page: Page) =>
  page.$$eval('[data-testid=transcript-editor] span[data-word]', (spans) =>
    spans.map((s) => ({ text: s.textContent ?? '', start: Number(s.getAttribute('data-start')), conf: s.getAttribute('data-confidence') })),
  )

const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-speech-walk-'))
const browser = await launchChromium()
const viewport = { width: 1440, height: 900 }
try {
  const clip = path.join(dir, 'harbor interview.mp4')
  await speechClip(dir, clip)

  const samContext = await browser.newContext({ viewport, acceptDownloads: true })
  const { page: sam } = await signUp(samContext, 'Sam')
  await sam.getByPlaceholder('Organization name, e.g. Northlight Films').fill(`Pier Studio ${suffix}`)
  await sam.getByRole('button', { name: 'Create organization' }).click()
  await sam.getByPlaceholder('New project name').fill('Harbor interview')
  await sam.getByRole('button', { name: 'Create project' }).click()
  await sam.waitForURL(/\/projects\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const projectUrl = sam.url()

  const benContext = await browser.newContext({ viewport })
  const { page: ben, email: benEmail } = await signUp(benContext, 'Ben')
  await sam.goto(`${API}/settings/members`)
  await sam.getByPlaceholder('Email of someone with a Cutroom account').fill(benEmail)
  await sam.getByLabel('Role', { exact: true }).selectOption('editor')
  await sam.getByRole('button', { name: 'Add member' }).click()
  await sam.locator('table[aria-label=Members] tr', { hasText: benEmail }).waitFor({ timeout: 10_000 })

  await sam.goto(projectUrl)
  await sam.locator('[data-testid=upload-input]').setInputFiles(clip)
  const row = sam.locator('[data-testid=asset-item]', { hasText: 'harbor interview.mp4' }).first()
  await row.waitFor({ timeout: 30_000 })
  await sam.waitForFunction(
    () => /\d+(\.\d+)? s/.test(document.querySelector('[data-testid=asset-item]')?.textContent ?? ''),
    null,
    { timeout: 120_000 },
  )
  log('clip uploaded and processed')

  // an empty transcript, transcribed from the page
  await sam.getByLabel('Kind').selectOption('transcript')
  await sam.getByLabel('Title').fill('Interview transcript')
  await sam.getByRole('button', { name: 'Create' }).click()
  await sam.waitForURL(/\/docs\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const docUrl = sam.url()
  await sam.waitForSelector('[data-testid=transcribe-asset]', { timeout: 20_000 })
  await ben.goto(docUrl)
  await ben.waitForSelector('[data-testid=transcript-editor]', { timeout: 20_000 })
  const options = await sam.$$eval('[data-testid=transcribe-asset] option', (o) => o.map((x) => (x as HTMLOptionElement).value))
  await sam.selectOption('[data-testid=transcribe-asset]', options.find((v) => v)!)
  await sam.getByRole('button', { name: 'Transcribe' }).click()
  await sam.waitForSelector('[data-testid=transcribe-progress]', { timeout: 30_000 })
  await sam.screenshot({ path: path.join(SHOTS, 'speech-transcribing.png') })
  const seen = new Set<number>()
  for (let i = 0; i < 600; i++) {
    const n = (await words(ben)).length
    seen.add(n)
    if (n >= 15 && !(await sam.$('[data-testid=transcribe-progress]'))) break
    await new Promise((r) => setTimeout(r, 250))
  }
  const heard = await words(ben)
  log(`Ben's page filled in live (word counts seen: ${[...seen].join(', ')}): ${heard.map((w) => w.text).join(' ')}`)
  await ben.screenshot({ path: path.join(SHOTS, 'speech-transcript-ben.png') })

  // Sam corrects "harbor" to "harbour" and realigns it
  const target = (await words(sam)).find((w) => w.text.toLowerCase() === 'harbor')
  if (!target) throw new Error(`"harbor" was not recognised: ${heard.map((w) => w.text).join(' ')}`)
  await sam.locator('[data-testid=transcript-editor] span[data-word]', { hasText: /^harbor$/i }).first().dblclick()
  await sam.keyboard.type('harbour')
  await sam.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 20_000 })
  await sam.click('[data-testid=realign]')
  for (let i = 0; i < 240; i++) {
    const w = (await words(sam)).find((x) => x.text === 'harbour')
    if (w && w.conf === '1') break
    await new Promise((r) => setTimeout(r, 250))
  }
  const fixed = (await words(ben)).find((x) => x.text === 'harbour')
  log(`realigned: "harbour" starts at sample ${fixed?.start} (was ${target.start}), confidence ${fixed?.conf} in Ben's page`)
  await sam.screenshot({ path: path.join(SHOTS, 'speech-corrected.png') })

  // SRT from the Subtitles menu
  await sam.click('button:has-text("Subtitles")')
  await sam.screenshot({ path: path.join(SHOTS, 'speech-subtitles-menu.png') })
  const [download] = await Promise.all([
    sam.waitForEvent('download', { timeout: 30_000 }),
    sam.click('button[role=menuitem]:has-text("SubRip")'),
  ])
  const srt = readFileSync((await download.path())!, 'utf8')
  const cues = srt.trim().split(/\r?\n\r?\n/)
  if (!/^1\r?\n\d\d:\d\d:\d\d,\d{3} --> /.test(srt) || !/\bharbour\b/.test(srt)) throw new Error(`unexpected SRT:\n${srt}`)
  log(`exported ${download.suggestedFilename()}: ${cues.length} cues\n${srt}`)
} finally {
  await browser.close()
  rmSync(dir, { recursive: true, force: true })
}
