/**
 * A walk through export and delivery on a running `npm start` stack, driving Debian's Chromium as one person:
 * Mia signs up, makes the studio and the project, uploads a clip of flite speech and a flite voice-over,
 * transcribes the clip from the media bin, cuts a timeline (the clip, the voice-over as narration), makes a
 * brand kit with a logo and a watermark, exports 720p with karaoke captions from the transcript and the brand
 * kit, waits for the render, and opens the export's version in the review player. Prints the export's figures
 * (duration, job time, frames). Screenshots go to docs/screenshots/export-*.png.
 *
 * Not part of `npm test`: it needs a stack someone started, and it leaves its studio behind.
 *
 *   npm start                                     # note the api URL it prints
 *   node --import tsx e2e/scripts/export-walkthrough.ts http://127.0.0.1:4000
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { launchChromium } from '../src/chromium'

const run = promisify(execFile)
const API = (process.argv[2] ?? 'http://127.0.0.1:4000').replace(/\/$/, '')
const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots')
const PASSWORD = 'export-walk-42'
const suffix = Math.random().toString(36).slice(2, 7)
const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
const SENTENCES = ['The harbor was quiet before the storm.', 'Nobody on the pier said a word.']
const NARRATION = 'Later that night, the boats came home.'
const FPS = 25

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
    ...['-loglevel', 'error', '-y', ...inputs, '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${FPS}`],
    ...['-filter_complex', `${labels.join('')}concat=n=${labels.length}:v=0:a=1[out]`],
    ...['-map', `${video}:v`, '-map', '[out]', '-shortest'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-ar', '48000', '-c:a', 'aac', file],
  ])
}

/** The voice-over: one flite sentence as a WAV. */
async function narration(dir: string, file: string): Promise<void> {
  const raw = path.join(dir, 'narration-raw.wav')
  await run('flite', ['-voice', 'kal16', '-t', NARRATION, '-o', raw])
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', raw, '-ar', '48000', '-ac', '1', '-c:a', 'pcm_s16le', file])
}

/** A brand image: a white word on a coloured card (the logo), or a white badge (the watermark). */
async function picture(file: string, colour: string, text: string, size: string): Promise<void> {
  await run('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:s=${size}:d=1`],
    ...[
      '-vf',
      `drawtext=fontfile=/usr/share/fonts/truetype/lato/Lato-Black.ttf:text='${text}':fontsize=28:fontcolor=white:x=(w-tw)/2:y=(h-th)/2`,
    ],
    ...['-frames:v', '1', file],
  ])
}

function watch(page: Page, who: string): Page {
  page.on('pageerror', (e) => log(`[${who} page error] ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') log(`[${who} console] ${m.text()}`)
  })
  return page
}

/** A tRPC query from the signed-in page (its session cookie rides along), as the client makes it. */
async function query<T>(page: Page, name: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ([n, i]) => {
      const res = await fetch(`/trpc/${n}?input=${encodeURIComponent(JSON.stringify(i))}`, {
        credentials: 'same-origin',
      })
      const body = await res.json()
      if (!res.ok) throw new Error(JSON.stringify(body))
      return body.result.data.json ?? body.result.data
    },
    [name, input] as const,
  ) as Promise<T>
}

const words = (page: Page) =>
  page.$$eval('[data-testid=transcript-editor] span[data-word]', (spans) => spans.map((s) => s.textContent ?? ''))

const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-export-walk-'))
const browser = await launchChromium()
const viewport = { width: 1440, height: 900 }
try {
  const clip = path.join(dir, 'harbor interview.mp4')
  const voice = path.join(dir, 'night voice-over.wav')
  const logo = path.join(dir, 'pier-logo.png')
  const mark = path.join(dir, 'pier-watermark.png')
  await Promise.all([
    speechClip(dir, clip),
    narration(dir, voice),
    picture(logo, '0x1f6feb', 'PIER', '200x80'),
    picture(mark, '0xd4380d', 'PIER', '120x48'),
  ])

  const context = await browser.newContext({ viewport })
  const mia = watch(await context.newPage(), 'Mia')
  const email = `mia-${suffix}@example.test`
  await mia.goto(`${API}/signup`)
  await mia.getByLabel('Name').fill('Mia')
  await mia.getByLabel('Email').fill(email)
  await mia.getByLabel('Password').fill(PASSWORD)
  await mia.getByRole('button', { name: 'Create account' }).click()
  await mia.waitForURL((u) => !u.pathname.startsWith('/signup'), { timeout: 20_000 })
  await mia.getByPlaceholder('Organization name, e.g. Northlight Films').fill(`Pier Studio ${suffix}`)
  await mia.getByRole('button', { name: 'Create organization' }).click()
  await mia.getByPlaceholder('New project name').fill('Harbor story')
  await mia.getByRole('button', { name: 'Create project' }).click()
  await mia.waitForURL(/\/projects\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const projectUrl = mia.url()
  log(`Mia signed up as ${email}; project at ${projectUrl}`)

  // the brand kit: a logo and a watermark in the bottom-right corner
  await mia.goto(`${API}/settings/brand-kits`)
  await mia.getByLabel('New brand kit name').fill('Pier house style')
  await mia.getByRole('button', { name: 'Create brand kit' }).click()
  const editor = mia.locator('form[aria-label="Brand kit"]')
  await editor.waitFor({ timeout: 20_000 })
  await editor.getByLabel('Upload logo').setInputFiles(logo)
  await mia.waitForFunction(
    () => document.querySelector('[data-testid=slot-logo]')?.textContent?.includes('pier-logo'),
    null,
    { timeout: 30_000 },
  )
  await editor.getByLabel('Upload watermark').setInputFiles(mark)
  await mia.waitForFunction(
    () => document.querySelector('[data-testid=slot-watermark]')?.textContent?.includes('pier-watermark'),
    null,
    { timeout: 30_000 },
  )
  await editor.getByRole('button', { name: 'Save as a new version' }).click()
  await mia.waitForFunction(
    () => /Version 2/.test(document.querySelector('[data-testid=kit-version]')?.textContent ?? ''),
    null,
    { timeout: 20_000 },
  )
  await mia.screenshot({ path: path.join(SHOTS, 'export-brand-kit.png') })
  log('brand kit "Pier house style" saved with its logo and watermark (version 2)')

  // the media: the interview and the voice-over, uploaded and processed
  await mia.goto(projectUrl)
  await mia.locator('[data-testid=upload-input]').setInputFiles([clip, voice])
  for (const name of ['harbor interview.mp4', 'night voice-over.wav'])
    await mia.waitForFunction(
      (n) =>
        Array.from(document.querySelectorAll('[data-testid=asset-item]')).some(
          (e) => e.textContent?.includes(n) && /\d+(\.\d+)? s/.test(e.textContent),
        ),
      name,
      { timeout: 180_000 },
    )
  log('clip and voice-over uploaded and processed')

  // the timeline, and the interview transcribed from its media bin
  await mia.getByLabel('Kind').selectOption('timeline')
  await mia.getByLabel('Title').fill('Harbor cut')
  await mia.getByRole('button', { name: 'Create', exact: true }).click()
  await mia.waitForURL(/\/docs\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const timelineUrl = mia.url()
  await mia.waitForSelector('[data-testid=timeline-editor]', { timeout: 30_000 })
  const interview = mia.locator('[data-testid=bin-item]', { hasText: 'harbor interview.mp4' })
  await interview.locator('[data-testid=transcribe-asset]').click()
  await mia.waitForURL((u) => u.href !== timelineUrl, { timeout: 20_000 })
  await mia.waitForSelector('[data-testid=transcript-editor]', { timeout: 30_000 })
  for (let i = 0; i < 720; i++) {
    if ((await words(mia)).length >= 10 && !(await mia.$('[data-testid=transcribe-progress]'))) break
    await new Promise((r) => setTimeout(r, 250))
  }
  log(`transcribed: ${(await words(mia)).join(' ')}`)

  await mia.goto(timelineUrl)
  await mia.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
  await interview.click()
  await interview.getByRole('button', { name: 'Insert' }).click()
  const voiceOver = mia.locator('[data-testid=bin-item]', { hasText: 'night voice-over.wav' })
  await voiceOver.click()
  await mia.getByRole('button', { name: '+ Narration' }).click()
  await mia.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
  // the clip selected: the inspector shows where the vertical export's 9:16 window would sit (the centre)
  const canvas = (await mia.locator('[data-testid=timeline-canvas]').boundingBox())!
  await mia.mouse.click(canvas.x + 60, canvas.y + 26 + 20)
  await mia.getByLabel('Vertical crop centre').waitFor({ timeout: 10_000 })
  // moving the window writes the clip's crop box into the document; Undo takes back this person's change
  await mia.getByLabel('Vertical crop centre').fill('20')
  await mia.waitForFunction(
    () => document.querySelector('[data-testid=vertical-crop-value]')?.textContent === '20%',
    null,
    { timeout: 10_000 },
  )
  await mia.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
  await mia.screenshot({ path: path.join(SHOTS, 'export-vertical-crop.png') })
  await mia.getByTestId('undo').click()
  await mia.waitForFunction(
    () => document.querySelector('[data-testid=vertical-crop-value]')?.textContent === 'centre',
    null,
    { timeout: 10_000 },
  )
  log('vertical crop: the window moved to 20% across the clip, then undone back to the centre crop')
  await mia.screenshot({ path: path.join(SHOTS, 'export-timeline.png') })
  log('timeline: the interview on the storyline, the voice-over on the narration track')

  // Export: 720p, the brand kit, karaoke captions from the transcript
  await mia.getByRole('button', { name: 'Export', exact: true }).click()
  await mia.getByLabel('Preset').selectOption('720p')
  await mia.getByLabel('Brand kit').selectOption({ label: 'Pier house style' })
  await mia.getByLabel('Burn in captions').check()
  await mia.waitForSelector('select[aria-label="Captions from"] option:has-text("Transcript")', {
    state: 'attached',
    timeout: 20_000,
  })
  const fromTranscript = await mia.$eval(
    'select[aria-label="Captions from"]',
    (s) => Array.from((s as HTMLSelectElement).options).find((o) => o.text.startsWith('Transcript'))!.value,
  )
  await mia.getByLabel('Captions from').selectOption(fromTranscript)
  await mia.getByLabel('Caption style').selectOption('karaoke')
  await mia.screenshot({ path: path.join(SHOTS, 'export-dialog.png') })
  const clicked = Date.now()
  await mia.getByRole('button', { name: 'Start export' }).click()
  const progress = mia.locator('[data-testid=export-progress]')
  await progress.waitFor({ timeout: 15_000 })
  const jobId = (await progress.getAttribute('data-job-id'))!
  await mia.waitForSelector('[data-testid=export-progress]:not([data-status=running])', { timeout: 600_000 })
  const status = await progress.getAttribute('data-status')
  const waited = (Date.now() - clicked) / 1000
  await mia.screenshot({ path: path.join(SHOTS, 'export-done.png') })
  if (status !== 'succeeded') throw new Error(`the export ended ${status}: ${await progress.textContent()}`)
  const job = await query<{
    assetId: string
    startedAt: string
    finishedAt: string
    result: {
      frames: number
      durationSeconds: number
      segments: number
      encoder: string
      loudness: { measured: number | null }
    }
  }>(mia, 'jobs.get', { id: jobId })
  const jobSeconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000
  log(
    `export done: ${job.result.durationSeconds.toFixed(2)} s of video, ${job.result.frames} frames in ${job.result.segments} segments (${job.result.encoder}); ` +
      `job ran ${jobSeconds.toFixed(1)} s, ${waited.toFixed(1)} s from the click; mix measured ${job.result.loudness.measured} LUFS before normalizing`,
  )

  // the export's version in the review player
  await mia.goto(projectUrl)
  await mia.waitForSelector(`[data-testid=export-item][data-asset-id="${job.assetId}"]:has-text("ready to review")`, {
    timeout: 300_000,
  })
  await mia.click('[data-testid=new-review]')
  await mia.waitForSelector(`[data-testid=review-asset] option[value="${job.assetId}"]`, {
    state: 'attached',
    timeout: 20_000,
  })
  await mia.selectOption('[data-testid=review-asset]', job.assetId)
  await mia.fill('[data-testid=review-title]', 'Harbor cut, export v1')
  await mia.click('[data-testid=create-review]')
  await mia.waitForURL(/\/reviews\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  await mia.waitForSelector('[data-testid=review-room]', { timeout: 30_000 })
  await mia.waitForFunction(
    () => (document.querySelector<HTMLVideoElement>('[data-testid=compare-video-a]')?.readyState ?? 0) >= 2,
    null,
    {
      timeout: 60_000,
    },
  )
  const played = await mia.evaluate(
    () => document.querySelector<HTMLVideoElement>('[data-testid=compare-video-a]')!.duration,
  )
  log(`the review player plays the export: ${played.toFixed(2)} s`)
  // frames inside the first sentence (spoken from 1 s), a word apart, at the export's rate (the timeline's)
  const rate = job.result.frames / job.result.durationSeconds
  for (const [frame, name] of [
    [Math.round(1.4 * rate), 'export-review-captions.png'],
    [Math.round(2.6 * rate), 'export-review-karaoke.png'],
  ] as const) {
    const input = mia.getByLabel('Frame', { exact: true })
    await input.fill(String(frame))
    await input.press('Enter')
    await mia.waitForFunction(
      (f) => document.querySelector<HTMLInputElement>('input[aria-label=Frame]')?.value === String(f),
      frame,
      { timeout: 10_000 },
    )
    await new Promise((r) => setTimeout(r, 800))
    await mia.screenshot({ path: path.join(SHOTS, name) })
    log(`review player at frame ${frame}: ${name}`)
  }
} finally {
  await browser.close()
  rmSync(dir, { recursive: true, force: true })
}
