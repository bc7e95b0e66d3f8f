import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isTransientNatsError, retryTransient } from './retryTransient'

test('a stream without a leader (no responders) or a timeout is transient; a refused payload is not', () => {
  const noLeader = Object.assign(new Error("jetstream is not enabled: no responders: 'jobs.probe'"), { name: 'JetStreamNotEnabled' })
  assert.ok(isTransientNatsError(noLeader))
  assert.ok(isTransientNatsError(Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' })))
  assert.ok(isTransientNatsError(new Error('503')))
  assert.not.ok(isTransientNatsError(new Error('maximum payload exceeded')))
  assert.not.ok(isTransientNatsError(null))
})

test('retries transient failures until the attempt succeeds', async () => {
  let calls = 0
  const retried: number[] = []
  const value = await retryTransient(
    async () => {
      if (++calls < 4) throw new Error('no responders')
      return 'stored'
    },
    { budgetMs: 5000, delayMs: 1, onRetry: (_e, n) => retried.push(n) },
  )
  assert.is(value, 'stored')
  assert.is(calls, 4)
  assert.equal(retried, [1, 2, 3])
})

test('rethrows at once an error that is not transient, and the last one once the budget is spent', async () => {
  let calls = 0
  const refused = await retryTransient(
    async () => {
      calls++
      throw new Error('invalid subject')
    },
    { budgetMs: 5000, delayMs: 1 },
  ).catch((e: Error) => e)
  assert.is((refused as Error).message, 'invalid subject')
  assert.is(calls, 1)

  calls = 0
  const spent = await retryTransient(
    async () => {
      calls++
      throw new Error(`no responders ${calls}`)
    },
    { budgetMs: 50, delayMs: 5, maxDelayMs: 5 },
  ).catch((e: Error) => e)
  assert.match((spent as Error).message, /^no responders \d+$/)
  assert.ok(calls >= 2)
})

test('an aborted signal stops the retries', async () => {
  const controller = new AbortController()
  let calls = 0
  const err = await retryTransient(
    async () => {
      calls++
      controller.abort()
      throw new Error('no responders')
    },
    { budgetMs: 5000, delayMs: 1, signal: controller.signal },
  ).catch((e: Error) => e)
  assert.instance(err, Error)
  assert.is(calls, 1)
})

test.run()
