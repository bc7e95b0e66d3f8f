import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { clearedSessionCookie, readSessionCookie, sessionCookie } from './sessionCookie'

test('the cookie is Secure only when served over https', () => {
  const expires = new Date(Date.now() + 3600_000)
  assert.match(sessionCookie('abc', expires, true), /; Secure$/)
  assert.not.match(sessionCookie('abc', expires, false), /Secure/)
  assert.match(sessionCookie('abc', expires, false), /Max-Age=(3599|3600)(;|$)/)
  assert.match(clearedSessionCookie(true), /Max-Age=0; Secure/)
})

test('the token is read from among other cookies; junk is ignored', () => {
  assert.is(readSessionCookie('theme=dark; cutroom_session=tok123; other=1'), 'tok123')
  assert.is(readSessionCookie('cutroom_session_x=1'), null)
  assert.is(readSessionCookie(`cutroom_session=${'a'.repeat(500)}`), null)
  assert.is(readSessionCookie(undefined), null)
})

test.run()
