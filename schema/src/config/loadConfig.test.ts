import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiEnv, CollabEnv, natsServers, WorkersEnv } from './env'
import { ConfigError, loadConfig } from './loadConfig'

const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', NATS_URL: 'nats://127.0.0.1:4222' }

test('defaults fill what is unset', () => {
  const c = loadConfig(ApiEnv, base)
  assert.is(c.API_PORT, 4000)
  assert.is(c.S3_BUCKET, 'cutroom')
  assert.is(c.SESSION_TTL_DAYS, 30)
})

test('a bad value names the variable and the problem', () => {
  try {
    loadConfig(CollabEnv, { ...base, COLLAB_PORT: 'seventy' })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.instance(err, ConfigError)
    const e = err as ConfigError
    assert.equal(e.problems.map((p) => p.variable), ['COLLAB_PORT'])
    assert.match(e.message, 'COLLAB_PORT')
  }
})

test('NATS_URL takes the seed servers of a cluster, separated by commas (as the Kubernetes manifests set it)', () => {
  const cluster = 'nats://nats-0.nats:4222, nats://nats-1.nats:4222,nats://nats-2.nats:4222'
  const c = loadConfig(WorkersEnv, { ...base, NATS_URL: cluster })
  assert.equal(natsServers(c.NATS_URL), ['nats://nats-0.nats:4222', 'nats://nats-1.nats:4222', 'nats://nats-2.nats:4222'])
  assert.equal(natsServers(base.NATS_URL), ['nats://127.0.0.1:4222'])
  for (const bad of ['nats://a:4222,http://b:4222', ',', 'nats://a:4222;nats://b:4222']) {
    try {
      loadConfig(ApiEnv, { ...base, NATS_URL: bad })
      assert.unreachable(`${bad} should have been refused`)
    } catch (err) {
      assert.instance(err, ConfigError)
      assert.match((err as ConfigError).message, 'NATS_URL')
    }
  }
})

test('a missing required variable is reported', () => {
  try {
    loadConfig(ApiEnv, { NATS_URL: base.NATS_URL })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.match((err as Error).message, 'DATABASE_URL')
  }
})

test('a URL with the wrong scheme is refused', () => {
  assert.throws(() => loadConfig(ApiEnv, { ...base, DATABASE_URL: 'mysql://x@y/z' }), /DATABASE_URL: must start with postgres/)
})

test('empty strings count as unset', () => {
  assert.is(loadConfig(ApiEnv, { ...base, API_PORT: '' }).API_PORT, 4000)
})

test('ALLOWED_ORIGINS is a list of origins, normalized; a path or another scheme is refused by name', () => {
  assert.equal(loadConfig(ApiEnv, base).ALLOWED_ORIGINS, [])
  const c = loadConfig(CollabEnv, { ...base, ALLOWED_ORIGINS: ' http://localhost:5173 , HTTPS://App.Example.com:443 ' })
  assert.equal(c.ALLOWED_ORIGINS, ['http://localhost:5173', 'https://app.example.com'])
  for (const bad of ['https://app.example.com/path', 'ws://localhost:4001', 'localhost:5173']) {
    assert.throws(() => loadConfig(ApiEnv, { ...base, ALLOWED_ORIGINS: bad }), /ALLOWED_ORIGINS: .* is not an origin/, bad)
  }
})

test.run()
