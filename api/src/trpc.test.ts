import { CutroomError, ErrorCode } from '@cutroom/schema'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { z } from 'zod'
import { apiError } from './apiError'
import type { Context } from './context'
import { publicProcedure, router } from './trpc'

const presigned =
  'http://127.0.0.1:54569/t-3a9c1e7f20/orgs/0b7e5f0c-4f8a-4c55-9a51-9e6f3b1e2d10/projects/p/assets/a/source/x.mp4' +
  '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3RVER%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=3f2b8c1d9e7a6b5c4d3e'

// procedures that fail the ways real ones do, served through the api's own initTRPC (its errorFormatter)
const errorsRouter = router({
  databaseDown: publicProcedure.query(() => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (postgres://cutroom:hunter2@10.0.0.5/cutroom)')
  }),
  internalWithCode: publicProcedure.query(() => {
    throw new CutroomError(ErrorCode.INTERNAL, `The media pipeline could not sign ${presigned}; try again.`)
  }),
  s3Refused: publicProcedure.mutation(() => {
    throw apiError(
      ErrorCode.BAD_INPUT,
      `S3 refused to assemble the parts (InvalidPart: ${presigned} with key AKIAIOSFODNN7EXAMPLE); upload the missing parts and complete again.`,
    )
  }),
  validated: publicProcedure.input(z.object({ name: z.string().max(3) })).mutation(() => 'ok'),
})

async function call(path: string, init: { method: 'GET' | 'POST'; body?: unknown }) {
  const url = `http://api.test/trpc/${path}${init.method === 'GET' ? '?input=%7B%7D' : ''}`
  const req = new Request(url, {
    method: init.method,
    headers: { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const res = await fetchRequestHandler({
    endpoint: '/trpc',
    req,
    router: errorsRouter,
    createContext: () => ({}) as Context,
  })
  const json = (await res.json()) as { error: { message: string; data: Record<string, unknown> } }
  return { status: res.status, error: json.error }
}

function assertNoLeak(text: string) {
  assert.not.match(text, /https?:|postgres:|X-Amz-|S3RVER|AKIA|hunter2|10\.0\.0\.5|t-3a9c1e7f20|0b7e5f0c-4f8a/, text)
  assert.not.match(text, /\/work\/|node_modules|\.ts:\d+|\n\s+at\s/, text)
}

test('an unexpected server error reaches the client as a generic message with its code, never its text or stack', async () => {
  const { status, error } = await call('databaseDown', { method: 'GET' })
  assert.is(status, 500)
  assert.is(error.message, 'Something went wrong on the server. Try again; if it keeps happening, contact support.')
  assert.is(error.data.code, 'INTERNAL')
  assert.is(error.data.stack, undefined, 'tRPC would add the stack outside production; it never leaves')
  assertNoLeak(JSON.stringify(error))
})

test('a coded error keeps its reason and loses the URL, bucket, key and access key id', async () => {
  const coded = await call('s3Refused', { method: 'POST', body: {} })
  assert.is(coded.status, 400)
  assert.is(coded.error.data.code, 'BAD_INPUT')
  assert.is(
    coded.error.message,
    'S3 refused to assemble the parts (InvalidPart: x.mp4 with key [redacted]); upload the missing parts and complete again.',
  )
  assertNoLeak(JSON.stringify(coded.error))

  const internal = await call('internalWithCode', { method: 'GET' })
  assert.is(internal.status, 500)
  assert.is(internal.error.message, 'The media pipeline could not sign x.mp4; try again.')
  assert.is(internal.error.data.stack, undefined)
  assertNoLeak(JSON.stringify(internal.error))
})

test('validation errors name the field and the rule, with no stack', async () => {
  const { status, error } = await call('validated', { method: 'POST', body: { name: 'far too long' } })
  assert.is(status, 400)
  assert.match(error.message, /^Invalid input: name: /)
  assert.is(error.data.code, 'BAD_INPUT')
  assert.is(error.data.stack, undefined)
  assertNoLeak(JSON.stringify(error))
})

test.run()
