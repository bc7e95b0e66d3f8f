import path from 'node:path'
import { startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { launchChromium } from './chromium'
import { CLIENT_DIST, ensureClientBuilt } from './ensureClientBuilt'

/**
 * A person turns on two-factor sign-in on the account page with the key it shows (the test plays the
 * authenticator app), signs out and back in with a code, signs in on a second browser with a recovery code,
 * and then "Sign out other sessions" signs that second browser out.
 */

const EMAIL = 'tess@account.example'
const PASSWORD = 'correct horse 42'
let server: TestApiServer
let browser: Browser
const contexts: BrowserContext[] = []

test.before(async () => {
  ensureClientBuilt()
  server = await startTestApiServer({ CLIENT_DIST, COLLAB_PUBLIC_URL: 'ws://127.0.0.1:9' })
  browser = await launchChromium()
})

test.after(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

async function newPage(): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  return context.newPage()
}

const step = () => Math.floor(Date.now() / 30_000)
const codeAt = (secret: string, s: number) =>
  generateHOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, '')), BigInt(s), 6)

async function signInWithPassword(page: Page) {
  await page.goto(`${server.url}/signin`)
  await page.fill('input[name=email]', EMAIL)
  await page.fill('input[name=password]', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForSelector('h1:has-text("Two-factor sign-in")')
}

test('two-factor sign-in set up on the account page; sign out other sessions', async () => {
  const tess = await newPage()
  await tess.goto(`${server.url}/signup`)
  await tess.fill('input[name=name]', 'Tess')
  await tess.fill('input[name=email]', EMAIL)
  await tess.fill('input[name=password]', PASSWORD)
  await tess.click('button[type=submit]')
  await tess.waitForSelector('text=Welcome to Cutroom')

  await tess.goto(`${server.url}/account`)
  await tess.click('text=Set up two-factor sign-in')
  const secret = (await tess.textContent('[data-testid=totp-secret]'))!.trim()
  assert.match(secret, /^[A-Z2-7 ]{39}$/, 'the key in groups of four, to type into an app')
  const uri = await tess.getAttribute('[data-testid=totp-uri]', 'href')
  assert.ok(uri?.startsWith('otpauth://totp/Cutroom:'), uri ?? '')
  // A wrong code is refused and two-factor stays off.
  await tess.fill('input[name=totp-code]', codeAt(secret, step() + 5))
  await tess.click('button:has-text("Turn on")')
  await tess.waitForSelector('[role=alert]:has-text("That code is wrong")')
  const enabledAt = step()
  await tess.fill('input[name=totp-code]', codeAt(secret, enabledAt))
  await tess.click('button:has-text("Turn on")')
  await tess.waitForSelector('[data-testid=recovery-codes]')
  const recoveryCodes = await tess.$$eval('[data-testid=recovery-codes] li', (lis) =>
    lis.map((li) => li.textContent!.trim()),
  )
  assert.is(recoveryCodes.length, 10)
  await tess.click('[data-testid=recovery-codes] >> text=Done')
  await tess.waitForSelector('text=recovery codes left')
  assert.is(await tess.textContent('[data-testid=recovery-codes-left]'), '10')

  // Sign out, then back in: the password alone is not enough.
  await tess.click('.top-bar >> text=Sign out')
  await tess.waitForURL(/\/signin/)
  await signInWithPassword(tess)
  // The code that turned two-factor on was used; it is refused again.
  await tess.fill('input[name=code]', codeAt(secret, enabledAt))
  await tess.click('button:has-text("Verify")')
  await tess.waitForSelector('[role=alert]:has-text("already used")')
  await tess.fill('input[name=code]', codeAt(secret, Math.max(step(), enabledAt + 1)))
  await tess.click('button:has-text("Verify")')
  await tess.waitForSelector('text=Welcome to Cutroom')

  // A second browser signs in with a recovery code.
  const other = await newPage()
  await signInWithPassword(other)
  await other.click('text=Use a recovery code instead')
  await other.fill('input[name=recoveryCode]', recoveryCodes[0]!)
  await other.click('button:has-text("Verify")')
  await other.waitForSelector('text=Welcome to Cutroom')

  // Tess sees both sessions and signs the other one out.
  await tess.goto(`${server.url}/account`)
  await tess.waitForSelector('tr[data-session=other]')
  assert.is(await tess.locator('tr[data-session]').count(), 2)
  assert.match((await tess.textContent('tr[data-session=current]'))!, 'this session')
  assert.is(await tess.textContent('[data-testid=recovery-codes-left]'), '9', 'the used recovery code is gone')
  await tess.click('button:has-text("Sign out other sessions")')
  await tess.waitForSelector('[role=alert]:has-text("Signed out 1 other session")')
  await tess.waitForFunction(() => document.querySelectorAll('tr[data-session]').length === 1)

  // The other browser is signed out at its next request; Tess stays signed in.
  await other.click('.top-bar >> a[href="/account"]')
  await other.waitForURL(/\/signin\?next=%2Faccount/)
  await tess.click('.top-bar >> text=Projects')
  await tess.waitForSelector('text=Welcome to Cutroom')
  // The used recovery code does not work a second time.
  await signInWithPassword(other)
  await other.click('text=Use a recovery code instead')
  await other.fill('input[name=recoveryCode]', recoveryCodes[0]!)
  await other.click('button:has-text("Verify")')
  await other.waitForSelector('[role=alert]:has-text("already used")')
})

test.run()
