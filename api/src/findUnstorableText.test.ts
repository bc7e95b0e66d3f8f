import { ErrorCode } from '@cutroom/schema'
import { TRPCError } from '@trpc/server'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createTestApi, type TestApi } from './testing/createTestApi'

/** Text Postgres cannot store (U+0000, a lone surrogate) is refused as BAD_INPUT everywhere, not a 500 from the database. */

let api: TestApi
test.before(async () => {
  api = await createTestApi()
})
test.after(async () => {
  await api.close()
})

async function refusal(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run()
  } catch (err) {
    assert.instance(err, TRPCError)
    return { code: (err as TRPCError & { cause: { code: string } }).cause.code, message: (err as Error).message }
  }
  throw new Error('expected a refusal')
}

test('a NUL character or a lone surrogate in any text field is BAD_INPUT and writes nothing', async () => {
  const anon = await api.caller()
  const signedUp = await anon.auth.signUp({ email: 'nul@example.com', password: 'correct horse 42', name: 'Nul' })
  const me = await api.caller(signedUp.token)
  const org = await me.orgs.create({ name: 'Studio' })
  const project = await me.projects.create({ orgId: org.id, name: 'P' })
  const count = async () =>
    (
      await api.sql<{ n: number }[]>`select (select count(*) from organizations) + (select count(*) from projects)
      + (select count(*) from users) + (select count(*) from audit_log) as n`
    )[0]!.n
  const before = await count()
  for (const run of [
    () => me.orgs.create({ name: 'a\u0000b' }),
    () => me.projects.create({ orgId: org.id, name: 'Film\u0000' }),
    () => anon.auth.signUp({ email: 'other@example.com', password: 'correct horse 42', name: '\u0000' }),
    () => me.orgs.create({ name: 'Studio \ud800' }),
    () => me.projects.rename({ id: project.id, name: 'x\udc00' }),
  ]) {
    const { code, message } = await refusal(run)
    assert.is(code, ErrorCode.BAD_INPUT)
    assert.match(message, /NUL character/)
  }
  assert.is(await count(), before)
})

test.run()
