/**
 * A walk through the review room on a running `npm start` stack, as three people in three browser contexts,
 * driving Debian's Chromium: Dana (director, owner) signs up, makes the studio and the project, uploads two
 * versions of a clip (the second by dropping it on the first) and opens a review comparing them; Rita (reviewer)
 * signs up and is added; a client joins through a share link as a guest. Dana draws on the worst frame while Rita
 * watches the stroke arrive, comments with an @mention, Rita assigns the finding to Dana, Dana starts and submits
 * it, Rita approves; the guest draws and comments on the same review. Screenshots go to docs/screenshots/.
 *
 * Not part of `npm test`: it needs a stack someone started, and it leaves its studio behind.
 *
 *   npm start                                     # note the api URL it prints
 *   node --import tsx e2e/scripts/review-walkthrough.ts http://127.0.0.1:4000
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
const PASSWORD = 'review-walk-42'
const suffix = Math.random().toString(36).slice(2, 7)
const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
/** The box version 2 adds, on 640x360, and the frames it is on. */
const BOX = { x: 380, y: 60, w: 160, h: 120, from: 100, to: 149 }

async function makeVersion(file: string, box: boolean): Promise<void> {
  const filter = box
    ? `,drawbox=x=${BOX.x}:y=${BOX.y}:w=${BOX.w}:h=${BOX.h}:color=orange@1:t=fill:enable='between(n,${BOX.from},${BOX.to})'`
    : ''
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=8'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000:duration=8'],
    ...['-vf', `format=yuv420p${filter}`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'aac'],
    ...['-shortest', '-movflags', '+faststart', file],
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

const stage = (page: Page) =>
  page.$eval('[data-testid=compare-stage]', (el) => ({
    mode: el.getAttribute('data-mode'),
    frame: Number(el.getAttribute('data-frame')),
  }))

async function toFrame(page: Page, frame: number): Promise<void> {
  await page.click('h1')
  for (let i = 0; i < 400 && (await stage(page)).frame !== frame; i++) {
    const d = frame - (await stage(page)).frame
    await page.keyboard.press(`${Math.abs(d) >= 10 ? 'Shift+' : ''}${d > 0 ? 'ArrowRight' : 'ArrowLeft'}`)
  }
}

const videosReady = (page: Page) =>
  page.waitForFunction(
    () =>
      Array.from(document.querySelectorAll<HTMLVideoElement>('[data-testid^=compare-video]')).every(
        (v) => v.readyState >= 2 && !v.seeking,
      ),
    null,
    { timeout: 30_000 },
  )

/** Drags on the annotation canvas from one point to another, in 0..1 frame coordinates. */
async function drag(page: Page, from: [number, number], to: [number, number], release = true): Promise<void> {
  const pane = (await page.locator('[data-testid=annotation-canvas]').boundingBox())!
  const at = (p: [number, number]) => [pane.x + p[0] * pane.width, pane.y + p[1] * pane.height] as const
  await page.mouse.move(...at(from))
  await page.mouse.down()
  await page.mouse.move(...at([(from[0] + to[0]) / 2, (from[1] + to[1]) / 2]), { steps: 5 })
  await page.mouse.move(...at(to), { steps: 5 })
  if (release) await page.mouse.up()
}

const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-walk-'))
const browser = await launchChromium()
const viewport = { width: 1440, height: 900 }
try {
  const fileA = path.join(dir, 'harbour.mp4')
  const fileB = path.join(dir, 'harbour v2.mp4')
  await Promise.all([makeVersion(fileA, false), makeVersion(fileB, true)])

  // Dana: account, studio, project
  const danaContext = await browser.newContext({ viewport })
  const { page: dana } = await signUp(danaContext, 'Dana')
  await dana.getByPlaceholder('Organization name, e.g. Northlight Films').fill(`Harbour Pictures ${suffix}`)
  await dana.getByRole('button', { name: 'Create organization' }).click()
  await dana.getByPlaceholder('New project name').fill('Harbour film')
  await dana.getByRole('button', { name: 'Create project' }).click()
  await dana.waitForURL(/\/projects\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const projectUrl = dana.url()
  log(`project at ${projectUrl}`)

  // Rita: account; Dana adds her as a reviewer
  const ritaContext = await browser.newContext({ viewport })
  const { page: rita, email: ritaEmail } = await signUp(ritaContext, 'Rita')
  await dana.goto(`${API}/settings/members`)
  await dana.getByPlaceholder('Email of someone with a Cutroom account').fill(ritaEmail)
  await dana.getByLabel('Role', { exact: true }).selectOption('reviewer')
  await dana.getByRole('button', { name: 'Add member' }).click()
  await dana.locator('table[aria-label=Members] tr', { hasText: ritaEmail }).waitFor({ timeout: 10_000 })
  log('Rita is a reviewer')

  // Dana uploads version 1, then drops version 2 on it
  await dana.goto(projectUrl)
  await dana.locator('[data-testid=upload-input]').setInputFiles(fileA)
  const v1Row = dana.locator('[data-testid=asset-item]', { hasText: 'harbour.mp4' }).first()
  await v1Row.waitFor({ timeout: 30_000 })
  const v1 = (await v1Row.getAttribute('data-asset-id'))!
  const bytesB = readFileSync(fileB).toString('base64')
  const dataTransfer = await dana.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const dt = new DataTransfer()
    dt.items.add(new File([bytes], 'harbour v2.mp4', { type: 'video/mp4' }))
    return dt
  }, bytesB)
  await v1Row.dispatchEvent('dragover', { dataTransfer })
  await v1Row.dispatchEvent('drop', { dataTransfer })
  const v2Row = dana.locator('[data-testid=asset-item][data-version="2"]')
  await v2Row.waitFor({ timeout: 30_000 })
  const v2 = (await v2Row.getAttribute('data-asset-id'))!
  log(`version 1 ${v1}, version 2 ${v2}`)
  // both transcoded: the row shows the duration instead of the status
  await dana.waitForFunction(
    () => {
      const rows = Array.from(document.querySelectorAll('[data-testid=asset-item]'))
      return (
        rows.length > 0 &&
        rows.every((r) => / s$/.test(r.querySelector('.asset-row-main .muted.small')?.textContent ?? ''))
      )
    },
    null,
    { timeout: 180_000, polling: 500 },
  )
  await dana.screenshot({ path: path.join(SHOTS, 'review-walk-project.png') })

  // Dana opens a review of version 2 against version 1
  await dana.click('[data-testid=new-review]')
  await dana.waitForSelector(`[data-testid=review-asset] option[value="${v2}"]`, { state: 'attached' })
  await dana.selectOption('[data-testid=review-asset]', v2)
  await dana.waitForSelector(`[data-testid=review-compare-to] option[value="${v1}"]`, { state: 'attached' })
  await dana.selectOption('[data-testid=review-compare-to]', v1)
  await dana.fill('[data-testid=review-title]', 'Harbour grade, v2 against v1')
  await dana.click('[data-testid=create-review]')
  await dana.waitForURL(/\/reviews\/[0-9a-f-]{36}$/, { timeout: 20_000 })
  const reviewUrl = dana.url()
  log(`review at ${reviewUrl}`)
  await dana.waitForSelector('[data-testid=review-room]', { timeout: 30_000 })

  await rita.goto(reviewUrl)
  await rita.waitForSelector('[data-testid=review-room]', { timeout: 30_000 })
  for (const [who, page] of [
    ['Dana', dana],
    ['Rita', rita],
  ] as const) {
    await page.waitForSelector('[data-testid=compared]', { timeout: 180_000 })
    log(`${who} sees: ${(await page.textContent('[data-testid=compared]'))?.trim()}`)
  }

  // Dana jumps to the worst frame, in the difference view, and draws a rectangle around the change; Rita, on the
  // same frame, sees the stroke before Dana lets go
  await dana.click('h1')
  await dana.keyboard.press('n')
  await dana.waitForFunction(
    () => Number(document.querySelector('[data-testid=compare-stage]')?.getAttribute('data-frame')) > 0,
    null,
    { timeout: 10_000 },
  )
  const worst = (await stage(dana)).frame
  log(`worst frame ${worst} (the box is on ${BOX.from}-${BOX.to})`)
  await dana.click('[data-testid=compare-modes] [data-mode=diff]')
  await videosReady(dana)
  await toFrame(rita, worst)
  await dana.click('[data-testid=annotation-toolbar] [data-tool=rect]')
  await drag(
    dana,
    [(BOX.x - 12) / 640, (BOX.y - 12) / 360],
    [(BOX.x + BOX.w + 12) / 640, (BOX.y + BOX.h + 12) / 360],
    false,
  )
  await rita.waitForSelector('[data-testid=annotation-canvas][data-live-strokes="1"]', { timeout: 10_000 })
  await rita.screenshot({ path: path.join(SHOTS, 'review-room-reviewer-live-stroke.png') })
  log('Rita sees the stroke while Dana draws')
  await dana.mouse.up()
  await rita.waitForSelector('[data-testid=annotation-canvas][data-live-strokes="0"][data-shapes="1"]', {
    timeout: 10_000,
  })

  // the drawn shape is a finding; Dana titles it and comments with an @mention
  const finding = dana.locator('.findings-list [data-finding-id]').first()
  await finding.waitFor({ timeout: 10_000 })
  const findingId = (await finding.getAttribute('data-finding-id'))!
  await finding.click()
  const box = dana.getByPlaceholder('Comment… type @ to mention someone')
  await box.click()
  await box.pressSequentially('@Ri')
  await dana.locator('.mention-options [role=option]', { hasText: 'Rita' }).click()
  await box.pressSequentially('the orange card is new in v2: keep it or grade it down?')
  await dana.getByRole('button', { name: 'Comment', exact: true }).click()
  await rita.locator(`.findings-list [data-finding-id="${findingId}"]`).click()
  await rita.locator('.thread .comment', { hasText: 'the orange card is new in v2' }).waitFor({ timeout: 15_000 })
  log('Rita reads the comment')

  // a share link for the client, who joins as a guest, draws an ellipse and comments
  await dana.getByRole('button', { name: 'Share' }).click()
  await dana.getByRole('heading', { name: 'Share this review' }).waitFor()
  await dana.getByRole('button', { name: 'Create link' }).click()
  const linkText = await dana.waitForFunction(
    () =>
      Array.from(document.querySelectorAll('input, code, a'))
        .map((e) => (e as HTMLInputElement).value || e.textContent || '')
        .find((t) => /\/r\/[A-Za-z0-9_-]{20,}/.test(t)) ?? null,
    null,
    { timeout: 10_000 },
  )
  const shareUrl = /https?:\/\/\S+\/r\/[A-Za-z0-9_-]+/.exec((await linkText.jsonValue()) as string)![0]
  log(`share link ${shareUrl.replace(/\/r\/.*/, '/r/…')}`)
  await dana.screenshot({ path: path.join(SHOTS, 'review-walk-share.png') })
  await dana.getByRole('button', { name: 'Close' }).click()

  const guestContext = await browser.newContext({ viewport })
  const guest = watch(await guestContext.newPage(), 'guest')
  await guest.goto(shareUrl)
  await guest.getByRole('heading', { name: 'You are invited to a review' }).waitFor({ timeout: 20_000 })
  await guest.getByLabel('Your name').fill('Cleo (client)')
  await guest.getByRole('button', { name: 'Join review' }).click()
  await guest.waitForSelector('[data-testid=review-room]', { timeout: 30_000 })
  await guest.waitForSelector('[data-testid=compared]', { timeout: 30_000 })
  await toFrame(guest, worst)
  await videosReady(guest)
  await guest.click('[data-testid=annotation-toolbar] [data-tool=ellipse]')
  await drag(guest, [0.05, 0.55], [0.3, 0.85])
  const guestFinding = guest.locator('.findings-list [data-finding-id]', {
    hasNot: guest.locator(`[data-finding-id="${findingId}"]`),
  })
  await guest.waitForFunction(() => document.querySelectorAll('.findings-list [data-finding-id]').length >= 2, null, {
    timeout: 15_000,
  })
  const guestFindingId = await guest.evaluate(
    (known) =>
      Array.from(document.querySelectorAll('.findings-list [data-finding-id]'))
        .map((e) => e.getAttribute('data-finding-id'))
        .find((id) => id !== known),
    findingId,
  )
  await guest.locator(`.findings-list [data-finding-id="${guestFindingId}"]`).click()
  const guestBox = guest.getByPlaceholder('Comment… type @ to mention someone')
  await guestBox.click()
  await guestBox.pressSequentially('Can the colour bars in the corner go darker?')
  await guest.getByRole('button', { name: 'Comment', exact: true }).click()
  void guestFinding
  await dana.locator('.findings-list [data-finding-id]', { hasText: '' }).nth(1).waitFor({ timeout: 15_000 })
  log('the guest drew and commented')

  // the workflow: Rita assigns Dana's finding to Dana with a due date; Dana starts and submits; Rita approves
  await rita.locator(`.findings-list [data-finding-id="${findingId}"]`).click()
  await rita.getByLabel('Assignee').selectOption({ label: 'Dana' })
  const due = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
  await rita.getByLabel('Due date').fill(due)
  await dana.locator(`.findings-list [data-finding-id="${findingId}"]`).click()
  await dana.waitForFunction(() => document.querySelector('[data-testid=assignee], [aria-label=Assignee]') !== null)
  for (const [action, status] of [
    ['start', /in progress/i],
    ['submit', /ready for review/i],
  ] as const) {
    await dana.locator(`button[data-action=${action}]:not([disabled])`).click()
    await rita.locator('[data-testid=detail-status]', { hasText: status }).waitFor({ timeout: 15_000 })
    log(`Dana: ${action}; Rita sees "${(await rita.textContent('[data-testid=detail-status]'))?.trim()}"`)
  }
  await rita.locator('button[data-action=approve]:not([disabled])').click()
  await dana.locator('[data-testid=detail-status]', { hasText: /approved/i }).waitFor({ timeout: 15_000 })
  log('Rita approved; Dana sees it')

  // the three screens, on the worst frame
  await toFrame(rita, worst)
  await Promise.all([videosReady(dana), videosReady(rita), videosReady(guest)])
  await dana.screenshot({ path: path.join(SHOTS, 'review-room-director.png') })
  await rita.screenshot({ path: path.join(SHOTS, 'review-room-reviewer.png') })
  await guest.screenshot({ path: path.join(SHOTS, 'review-room-guest.png') })
  log(`screenshots in ${SHOTS}`)
} finally {
  await browser.close()
  rmSync(dir, { recursive: true, force: true })
}
