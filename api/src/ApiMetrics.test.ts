/** /metrics on the api: calls, errors, latency and refusals by procedure, scraped after real calls over HTTP. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiClient } from './apiClient'
import { startTestApiServer, type TestApiServer } from './testing/startTestApiServer'

let api: TestApiServer

test.before(async () => {
  // orgs.create allows 20 a minute; scaled so the second one is refused
  api = await startTestApiServer({ RATE_LIMIT_MULTIPLIER: '0.05' })
})
test.after(async () => {
  await api.close()
})

/** The value of one series in Prometheus text, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function scrape(): Promise<string> {
  const res = await fetch(`${api.url}/metrics`)
  assert.is(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
  return res.text()
}

test('counts calls by procedure and outcome, times them, and counts rate-limit refusals', async () => {
  const before = await scrape()
  assert.is(
    sample(before, 'cutroom_api_requests_total{procedure="auth.signUp",type="mutation",outcome="ok"}'),
    undefined,
  )

  const anon = createApiClient({ url: api.url })
  const { token } = await anon.auth.signUp.mutate({
    email: 'metrics@example.com',
    password: 'correct horse 42',
    name: 'M',
  })
  const client = createApiClient({ url: api.url, token })
  await client.orgs.create.mutate({ name: 'First' })
  const refused = await client.orgs.create.mutate({ name: 'Second' }).then(
    () => null,
    (e: { data?: { code?: string } }) => e.data?.code,
  )
  assert.is(refused, 'RATE_LIMITED')
  const badInput = await anon.auth.signUp.mutate({ email: 'not an email', password: 'x', name: '' }).then(
    () => null,
    (e: { data?: { code?: string } }) => e.data?.code,
  )
  assert.is(badInput, 'BAD_INPUT')

  const text = await scrape()
  assert.is(sample(text, 'cutroom_api_requests_total{procedure="auth.signUp",type="mutation",outcome="ok"}'), 1)
  assert.is(sample(text, 'cutroom_api_requests_total{procedure="auth.signUp",type="mutation",outcome="BAD_INPUT"}'), 1)
  assert.is(sample(text, 'cutroom_api_requests_total{procedure="orgs.create",type="mutation",outcome="ok"}'), 1)
  assert.is(
    sample(text, 'cutroom_api_requests_total{procedure="orgs.create",type="mutation",outcome="RATE_LIMITED"}'),
    1,
  )
  assert.is(sample(text, 'cutroom_api_refusals_total{procedure="orgs.create",reason="RATE_LIMITED"}'), 1)
  assert.is(sample(text, 'cutroom_api_refusals_total{procedure="auth.signUp",reason="RATE_LIMITED"}'), undefined)
  // every call lands in the latency histogram; sign-up hashes a password, so it takes measurable time
  assert.is(sample(text, 'cutroom_api_request_duration_seconds_count{procedure="orgs.create",type="mutation"}'), 2)
  assert.is(sample(text, 'cutroom_api_request_duration_seconds_count{procedure="auth.signUp",type="mutation"}'), 2)
  assert.ok(sample(text, 'cutroom_api_request_duration_seconds_sum{procedure="auth.signUp",type="mutation"}')! > 0)
  assert.is(
    sample(text, 'cutroom_api_request_duration_seconds_bucket{le="+Inf",procedure="orgs.create",type="mutation"}'),
    2,
  )
})

test.run()
