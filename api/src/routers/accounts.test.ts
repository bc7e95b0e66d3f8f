import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { hashToken, tables } from '@cutroom/schema'
import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { and, eq } from 'drizzle-orm'
import pino from 'pino'
import { SMTPServer } from 'smtp-server'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createContext } from '../context'
import { appRouter } from '../router'
import { createTestApi, type TestApi } from '../testing/createTestApi'
import { totpStep } from '../totp'
import { createCallerFactory } from '../trpc'

/** Two-factor sign-in, the sessions list and password reset, through the routers on a real database and SMTP. */

let api: TestApi
let smtp: SMTPServer
const inbox: { to: string; body: string }[] = []
const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code
const PASSWORD = 'correct horse 42'

test.before(async () => {
  // A local SMTP server of the usual shape: the api delivers reset links to it as to any mail relay.
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        inbox.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          body: Buffer.concat(chunks).toString(),
        })
        done()
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  const port = (smtp.server.address() as AddressInfo).port
  api = await createTestApi({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Cutroom <accounts@cutroom.test>' })
})
test.after(async () => {
  await api.close()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

async function fails(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.unreachable('should have failed'),
    (e) => e,
  )
}

const callerFor = createCallerFactory(appRouter)
/** A caller from a fixed address (the test api gives every caller a new one). */
async function callerAt(ip: string, token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return callerFor(await createContext(api.services, { headers, ip }))
}

let n = 0
async function person(name: string) {
  const email = `${name}-${++n}@example.com`
  const { user, token } = await (await api.caller()).auth.signUp({ email, password: PASSWORD, name })
  return { user, email, token, call: await api.caller(token) }
}

/** The code an authenticator app shows for `step` (default: now). */
function codeAt(secret: string, step = totpStep()): string {
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), 6)
}

/** Someone with two-factor on: the secret (as their app holds it), the step used to enable, recovery codes. */
async function personWith2fa(name: string) {
  const p = await person(name)
  const { secret, uri } = await p.call.auth.totp.setup()
  assert.match(uri, /^otpauth:\/\/totp\/Cutroom:/)
  assert.ok(uri.includes(`secret=${secret}`))
  const step = totpStep()
  const { recoveryCodes } = await p.call.auth.totp.enable({ code: codeAt(secret, step) })
  return { ...p, secret, step, recoveryCodes }
}

async function auditActions(userId: string): Promise<string[]> {
  const rows = await api.services.db
    .select({ action: tables.accountAuditLog.action })
    .from(tables.accountAuditLog)
    .where(eq(tables.accountAuditLog.userId, userId))
    .orderBy(tables.accountAuditLog.id)
  return rows.map((r) => r.action)
}

async function waitForMail(to: string): Promise<string> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    const i = inbox.findIndex((m) => m.to === to)
    if (i >= 0) return inbox.splice(i, 1)[0]!.body
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no mail reached ${to}`)
}

/** The reset token in a mail (its body quoted-printable decoded when the mail says it is). */
function tokenInMail(body: string): string {
  const quotedPrintable = /^content-transfer-encoding:\s*quoted-printable/im.test(body)
  const text = quotedPrintable
    ? body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)))
    : body
  const m = /\/reset-password\?token=([a-z0-9]+)/.exec(text)
  if (!m) throw new Error(`no reset link in the mail:\n${text}`)
  return m[1]!
}

test('setup keeps the key pending until a valid code enables it; the secret is the otpauth secret', async () => {
  const p = await person('eve')
  const { secret } = await p.call.auth.totp.setup()
  assert.match(secret, /^[A-Z2-7]{32}$/)
  assert.equal(await p.call.auth.totp.status(), { enabled: false, enabledAt: null, recoveryCodesLeft: 0 })
  // Still off: signing in needs only the password.
  const plain = await (await api.caller()).auth.signIn({ email: p.email, password: PASSWORD })
  assert.is(plain.twoFactorRequired, false)

  const wrong = await fails(p.call.auth.totp.enable({ code: codeAt(secret, totpStep() + 5) }))
  assert.is(codeOf(wrong), 'INVALID_CREDENTIALS')
  const bad = await fails(p.call.auth.totp.enable({ code: '12ab56' }))
  assert.is(codeOf(bad), 'BAD_REQUEST')
  assert.match((bad as Error).message, '6-digit code')
  assert.is((await p.call.auth.totp.status()).enabled, false, 'bad codes change nothing')

  const { recoveryCodes } = await p.call.auth.totp.enable({ code: codeAt(secret) })
  assert.is(recoveryCodes.length, 10)
  assert.is(new Set(recoveryCodes).size, 10)
  const status = await p.call.auth.totp.status()
  assert.is(status.enabled, true)
  assert.is(status.recoveryCodesLeft, 10)
  const stored = await api.services.db
    .select({ hash: tables.recoveryCodes.codeHash })
    .from(tables.recoveryCodes)
    .where(eq(tables.recoveryCodes.userId, p.user.id))
  assert.ok(
    stored.every((s) => /^[0-9a-f]{64}$/.test(s.hash) && !recoveryCodes.some((c) => s.hash.includes(c))),
    'only hashes are stored',
  )
  const again = await fails(p.call.auth.totp.setup())
  assert.is(codeOf(again), 'INVALID_STATE')
  assert.equal(await auditActions(p.user.id), ['account.2fa.enabled'])
})

test('sign-in with two-factor: a challenge instead of a session, then a code; a used code cannot be replayed', async () => {
  const p = await personWith2fa('fay')
  const anon = await api.caller()
  const first = await anon.auth.signIn({ email: p.email, password: PASSWORD })
  assert.is(first.twoFactorRequired, true)
  assert.not.ok('token' in first, 'no session before the second factor')
  const challenge = (first as { challenge: string }).challenge
  const [row] = await api.services.db
    .select()
    .from(tables.signInChallenges)
    .where(eq(tables.signInChallenges.userId, p.user.id))
  assert.is(row!.id, hashToken(challenge), 'only the hash of the challenge is stored')

  // The code that enabled two-factor was used: replaying it (or an older one) fails.
  const replay = await fails(anon.auth.signIn2fa({ challenge, code: codeAt(p.secret, p.step) }))
  assert.is(codeOf(replay), 'INVALID_CREDENTIALS')
  const older = await fails(anon.auth.signIn2fa({ challenge, code: codeAt(p.secret, p.step - 1) }))
  assert.is(codeOf(older), 'INVALID_CREDENTIALS')
  const far = await fails(anon.auth.signIn2fa({ challenge, code: codeAt(p.secret, totpStep() + 3) }))
  assert.is(codeOf(far), 'INVALID_CREDENTIALS', 'outside the one-step window')

  // The next step's code (within the +-1 window) signs in.
  const next = codeAt(p.secret, p.step + 1)
  const done = await anon.auth.signIn2fa({ challenge, code: next })
  assert.is(done.user.id, p.user.id)
  assert.equal(await (await api.caller(done.token)).auth.me(), { kind: 'user', user: done.user })

  // The challenge worked once; a new one refuses the same code.
  const reused = await fails(anon.auth.signIn2fa({ challenge, code: codeAt(p.secret, p.step + 1) }))
  assert.is(codeOf(reused), 'UNAUTHENTICATED')
  const second = (await anon.auth.signIn({ email: p.email, password: PASSWORD })) as { challenge: string }
  const replayed = await fails(anon.auth.signIn2fa({ challenge: second.challenge, code: next }))
  assert.is(codeOf(replayed), 'INVALID_CREDENTIALS')

  // An expired challenge is refused.
  await api.services.db
    .update(tables.signInChallenges)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(tables.signInChallenges.id, hashToken(second.challenge)))
  const expired = await fails(anon.auth.signIn2fa({ challenge: second.challenge, code: codeAt(p.secret, p.step + 2) }))
  assert.is(codeOf(expired), 'UNAUTHENTICATED')
  const both = await fails(anon.auth.signIn2fa({ challenge: second.challenge, code: '123456', recoveryCode: 'x' }))
  assert.is(codeOf(both), 'BAD_REQUEST')
})

test('a recovery code signs in once and is consumed; regenerating replaces them all', async () => {
  const p = await personWith2fa('gus')
  const anon = await api.caller()
  const challenge = async () =>
    ((await anon.auth.signIn({ email: p.email, password: PASSWORD })) as { challenge: string }).challenge
  const code = p.recoveryCodes[3]!
  const done = await anon.auth.signIn2fa({ challenge: await challenge(), recoveryCode: ` ${code.toUpperCase()} ` })
  assert.is(done.user.id, p.user.id)
  assert.is((await p.call.auth.totp.status()).recoveryCodesLeft, 9)
  const again = await fails(anon.auth.signIn2fa({ challenge: await challenge(), recoveryCode: code }))
  assert.is(codeOf(again), 'INVALID_CREDENTIALS')
  assert.match((again as Error).message, 'already used')

  const wrongProof = await fails(p.call.auth.recoveryCodes.regenerate({ password: 'not my password 1' }))
  assert.is(codeOf(wrongProof), 'INVALID_CREDENTIALS')
  const { recoveryCodes } = await p.call.auth.recoveryCodes.regenerate({ password: PASSWORD })
  assert.is(recoveryCodes.length, 10)
  assert.is((await p.call.auth.totp.status()).recoveryCodesLeft, 10)
  const old = await fails(anon.auth.signIn2fa({ challenge: await challenge(), recoveryCode: p.recoveryCodes[0]! }))
  assert.is(codeOf(old), 'INVALID_CREDENTIALS', 'the old codes stopped working')
  await anon.auth.signIn2fa({ challenge: await challenge(), recoveryCode: recoveryCodes[0]! })
  assert.equal(await auditActions(p.user.id), [
    'account.2fa.enabled',
    'account.recovery_code.used',
    'account.recovery_codes.regenerated',
    'account.recovery_code.used',
  ])
})

test('turning two-factor off needs a current code or the password', async () => {
  const p = await personWith2fa('hal')
  const neither = await fails(p.call.auth.totp.disable({}))
  assert.is(codeOf(neither), 'BAD_REQUEST')
  const wrong = await fails(p.call.auth.totp.disable({ code: codeAt(p.secret, p.step) }))
  assert.is(codeOf(wrong), 'INVALID_CREDENTIALS', 'the already used code')
  assert.is((await p.call.auth.totp.status()).enabled, true)
  await p.call.auth.totp.disable({ code: codeAt(p.secret, p.step + 1) })
  assert.equal(await p.call.auth.totp.status(), { enabled: false, enabledAt: null, recoveryCodesLeft: 0 })
  const plain = await (await api.caller()).auth.signIn({ email: p.email, password: PASSWORD })
  assert.is(plain.twoFactorRequired, false)
  const off = await fails(p.call.auth.totp.disable({ password: PASSWORD }))
  assert.is(codeOf(off), 'INVALID_STATE')
  assert.equal(await auditActions(p.user.id), ['account.2fa.enabled', 'account.2fa.disabled'])
})

test('wrong codes are limited per account, and per address across accounts', async () => {
  const p = await personWith2fa('ivy')
  const challenge = (
    (await (await api.caller()).auth.signIn({ email: p.email, password: PASSWORD })) as { challenge: string }
  ).challenge
  const wrongCode = codeAt(p.secret, totpStep() + 10)
  for (let i = 0; i < 5; i++) {
    // Each attempt from another address: the account limit holds wherever guesses come from.
    const e = await fails((await api.caller()).auth.signIn2fa({ challenge, code: wrongCode }))
    assert.is(codeOf(e), 'INVALID_CREDENTIALS')
  }
  const limited = await fails((await api.caller()).auth.signIn2fa({ challenge, code: codeAt(p.secret, p.step + 1) }))
  assert.is(codeOf(limited), 'RATE_LIMITED', 'even the right code waits')
  assert.match((limited as Error).message, /code attempts for this account\. Try again in \d+ seconds/)
  const disable = await fails(p.call.auth.totp.disable({ password: PASSWORD }))
  assert.is(codeOf(disable), 'RATE_LIMITED', 'the password proof counts against the same limit')

  // One address guessing against many accounts: 50 attempts, then refused for a fresh account too.
  const people = await Promise.all(Array.from({ length: 11 }, (_, i) => personWith2fa(`guess${i}`)))
  const attacker = await callerAt('192.0.2.77')
  let attempts = 0
  for (const q of people.slice(0, 10)) {
    const c = ((await attacker.auth.signIn({ email: q.email, password: PASSWORD })) as { challenge: string }).challenge
    for (let i = 0; i < 5; i++, attempts++) {
      const e = await fails(attacker.auth.signIn2fa({ challenge: c, code: codeAt(q.secret, totpStep() + 10) }))
      assert.is(codeOf(e), 'INVALID_CREDENTIALS')
    }
  }
  assert.is(attempts, 50)
  const last = people[10]!
  const c = ((await attacker.auth.signIn({ email: last.email, password: PASSWORD })) as { challenge: string }).challenge
  const byAddress = await fails(attacker.auth.signIn2fa({ challenge: c, code: codeAt(last.secret, last.step + 1) }))
  assert.is(codeOf(byAddress), 'RATE_LIMITED')
  assert.match((byAddress as Error).message, 'from your address')
  // From another address the same person signs in.
  const ok = await (await api.caller()).auth.signIn2fa({ challenge: c, code: codeAt(last.secret, last.step + 1) })
  assert.is(ok.user.id, last.user.id)
})

test('the sessions list shows where the person is signed in; revoke and revokeOthers end sessions', async () => {
  const p = await person('jo')
  const laptop = await callerFor(
    await createContext(api.services, {
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0' },
      ip: '198.51.100.7',
    }),
  ).auth.signIn({ email: p.email, password: PASSWORD })
  const phone = await (await api.caller()).auth.signIn({ email: p.email, password: PASSWORD })
  const tablet = await (await api.caller()).auth.signIn({ email: p.email, password: PASSWORD })
  const list = await p.call.auth.sessions.list()
  assert.is(list.length, 4)
  assert.is(list.filter((s) => s.current).length, 1)
  assert.is(list.find((s) => s.current)!.id, hashToken(p.token))
  const lap = list.find((s) => s.id === hashToken(laptop.token!))!
  assert.is(lap.userAgent, 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0')
  assert.is(lap.ip, '198.51.100.7')
  assert.ok(lap.createdAt instanceof Date && lap.lastSeenAt instanceof Date)
  assert.equal(Object.keys(lap).sort(), ['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastSeenAt', 'userAgent'])

  // Someone else cannot see or end these sessions.
  const other = await person('kim')
  assert.is((await other.call.auth.sessions.list()).length, 1)
  const foreign = await fails(other.call.auth.sessions.revoke({ id: lap.id }))
  assert.is(codeOf(foreign), 'NOT_FOUND')
  assert.ok(await (await api.caller(laptop.token)).auth.me(), 'still signed in')

  await p.call.auth.sessions.revoke({ id: lap.id })
  assert.is(await (await api.caller(laptop.token)).auth.me(), null, 'the revoked token is refused')
  const gone = await fails((await api.caller(laptop.token)).auth.sessions.list())
  assert.is(codeOf(gone), 'UNAUTHENTICATED')
  const twice = await fails(p.call.auth.sessions.revoke({ id: lap.id }))
  assert.is(codeOf(twice), 'NOT_FOUND')

  assert.equal(await p.call.auth.sessions.revokeOthers(), { revoked: 2 })
  assert.is(await (await api.caller(phone.token)).auth.me(), null)
  assert.is(await (await api.caller(tablet.token)).auth.me(), null)
  assert.ok(await (await api.caller(p.token)).auth.me(), 'this session stays')
  assert.is((await p.call.auth.sessions.list()).length, 1)
  assert.ok(await (await api.caller(other.token)).auth.me(), "another person's session is untouched")
  assert.equal(await auditActions(p.user.id), ['account.session.revoked', 'account.sessions.revoked_others'])
  const keyOnly = await fails((await api.caller()).auth.sessions.list())
  assert.is(codeOf(keyOnly), 'UNAUTHENTICATED')
})

test('password reset: same answer for unknown email, mailed link, one use, every session ends', async () => {
  const p = await person('lee')
  const anon = await api.caller()
  const known = await anon.auth.passwordReset.request({ email: ` ${p.email.toUpperCase()}` })
  const unknown = await anon.auth.passwordReset.request({ email: 'nobody-here@example.com' })
  assert.equal(known, unknown, 'the answer never tells whether the account exists')
  const body = await waitForMail(p.email)
  assert.match(body, 'From: Cutroom <accounts@cutroom.test>')
  const token = tokenInMail(body)
  await new Promise((r) => setTimeout(r, 200))
  assert.not.ok(
    inbox.some((m) => m.to === 'nobody-here@example.com'),
    'no mail for an unknown address',
  )
  const [row] = await api.services.db
    .select()
    .from(tables.passwordResetTokens)
    .where(eq(tables.passwordResetTokens.userId, p.user.id))
  assert.is(row!.id, hashToken(token), 'only the hash of the token is stored')
  const minutes = (row!.expiresAt.getTime() - Date.now()) / 60000
  assert.ok(minutes > 29 && minutes <= 30, `expires in 30 minutes (${minutes})`)

  const weak = await fails(anon.auth.passwordReset.complete({ token, password: 'short' }))
  assert.is(codeOf(weak), 'WEAK_PASSWORD')
  assert.ok(await (await api.caller(p.token)).auth.me(), 'a refused reset changes nothing')
  const junk = await fails(
    anon.auth.passwordReset.complete({ token: 'not-a-real-token-at-all', password: 'a brand new pass 5' }),
  )
  assert.is(codeOf(junk), 'INVALID_CREDENTIALS')

  await anon.auth.passwordReset.complete({ token, password: 'a brand new pass 5' })
  assert.is(await (await api.caller(p.token)).auth.me(), null, 'every session ended')
  const old = await fails(anon.auth.signIn({ email: p.email, password: PASSWORD }))
  assert.is(codeOf(old), 'INVALID_CREDENTIALS')
  const fresh = await anon.auth.signIn({ email: p.email, password: 'a brand new pass 5' })
  assert.is(fresh.twoFactorRequired, false)
  const reused = await fails(anon.auth.passwordReset.complete({ token, password: 'yet another pass 6' }))
  assert.is(codeOf(reused), 'INVALID_CREDENTIALS', 'the link works once')
  assert.match((reused as Error).message, 'Ask for a new one')
  assert.equal(await auditActions(p.user.id), ['account.password_reset.requested', 'account.password_reset.completed'])
})

test('an expired reset link is refused and changes nothing; requests are limited per email', async () => {
  const p = await person('max')
  const anon = await api.caller()
  await anon.auth.passwordReset.request({ email: p.email })
  const token = tokenInMail(await waitForMail(p.email))
  await api.services.db
    .update(tables.passwordResetTokens)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(and(eq(tables.passwordResetTokens.userId, p.user.id)))
  const expired = await fails(anon.auth.passwordReset.complete({ token, password: 'a brand new pass 5' }))
  assert.is(codeOf(expired), 'INVALID_CREDENTIALS')
  assert.ok(await (await api.caller(p.token)).auth.me())
  await (await api.caller()).auth.signIn({ email: p.email, password: PASSWORD })

  for (let i = 0; i < 4; i++) await (await api.caller()).auth.passwordReset.request({ email: p.email })
  const limited = await fails((await api.caller()).auth.passwordReset.request({ email: p.email }))
  assert.is(codeOf(limited), 'RATE_LIMITED')
  for (let i = 0; i < 5; i++) await (await api.caller()).auth.passwordReset.request({ email: 'ghost-max@example.com' })
  const ghost = await fails((await api.caller()).auth.passwordReset.request({ email: 'ghost-max@example.com' }))
  assert.is(codeOf(ghost), 'RATE_LIMITED', 'the limit is the same for an address without an account')
  // The four accepted requests were each mailed; the refused one was not.
  for (let i = 0; i < 4; i++) await waitForMail(p.email)
  await new Promise((r) => setTimeout(r, 200))
  assert.not.ok(inbox.some((m) => m.to === p.email))
})

test('without SMTP_URL the reset link goes to the api log', async () => {
  const lines: string[] = []
  const local = await createTestApi()
  local.services.log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk))
        cb()
      },
    }),
  )
  try {
    const anon = await local.caller()
    const { token } = await anon.auth.signUp({ email: 'logged@example.com', password: PASSWORD, name: 'Log' })
    await anon.auth.passwordReset.request({ email: 'logged@example.com' })
    const line = lines.find((l) => l.includes('/reset-password?token='))
    assert.ok(line, 'the link is logged')
    const link = JSON.parse(line!).link as string
    const resetToken = new URL(link).searchParams.get('token')!
    await anon.auth.passwordReset.complete({ token: resetToken, password: 'a brand new pass 5' })
    assert.is(await (await local.caller(token)).auth.me(), null)
  } finally {
    await local.close()
  }
})

test.run()
