import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { createApiClient } from '@cutroom/api'
import { startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

/** Runs the docs/api.md example exactly as a reader would, against a real api. */

const run = promisify(execFile)
const script = path.join(import.meta.dirname, 'api-example.ts')
let server: TestApiServer

test.before(async () => {
  server = await startTestApiServer()
})
test.after(async () => {
  await server.close()
})

test('the API guide example lists projects with an API key', async () => {
  const anon = createApiClient({ url: server.url })
  const { token } = await anon.auth.signUp.mutate({
    email: 'docs@example.com',
    password: 'correct horse 42',
    name: 'Docs',
  })
  const person = createApiClient({ url: server.url, token })
  const org = await person.orgs.create.mutate({ name: 'Docs Studio' })
  await person.projects.create.mutate({ orgId: org.id, name: 'Trailer', fpsNum: 24000, fpsDen: 1001 })
  await person.projects.create.mutate({ orgId: org.id, name: 'Interview' })
  const { key } = await person.apiKeys.create.mutate({ orgId: org.id, name: 'docs', role: 'viewer' })

  const env = { ...process.env, CUTROOM_URL: server.url, CUTROOM_API_KEY: key }
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { env, cwd: path.dirname(script) })
  assert.match(stdout, 'Organization: Docs Studio (key role: viewer)')
  assert.match(stdout, /- Trailer {2}[0-9a-f-]{36} {2}24000\/1001 fps/)
  assert.match(stdout, '- Interview')
  assert.match(stdout, '2 project(s)')

  const bad = await run(process.execPath, ['--import', 'tsx', script], {
    env: { ...env, CUTROOM_API_KEY: `${key.slice(0, -4)}aaaa` },
    cwd: path.dirname(script),
  }).then(
    () => null,
    (e: { code: number; stderr: string }) => e,
  )
  assert.is(bad?.code, 1)
  assert.match(bad!.stderr, 'UNAUTHENTICATED')
})

test.run()
