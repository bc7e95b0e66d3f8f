import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { launchChromium } from './chromium'
import { watchCspViolations } from './cspViolations'
import { launchStack } from './launchStack'

const dataDir = mkdtempSync(path.join(tmpdir(), 'cutroom-stack-'))

test('npm start brings up every service on embedded defaults, healthy, with the client page', async () => {
  const stack = await launchStack(dataDir)
  try {
    const table = stack.output()
    for (const service of ['web client + api', 'collab', 'media-workers', 'postgres (PGlite)', 'nats (JetStream)', 's3 (s3rver)'])
      assert.ok(table.includes(service), `table names ${service}`)
    assert.match(table, /embedded/)
    // embedded services avoid the default ports of services that may already run on the machine
    assert.not.match(table, /127\.0\.0\.1:5432\b/)
    assert.not.match(table, /127\.0\.0\.1:4222\b/)

    for (const url of [`${stack.apiUrl}/healthz`, `${stack.collabUrl.replace('ws:', 'http:')}/healthz`, stack.workersHealthUrl]) {
      const res = await fetch(url)
      const body = (await res.json()) as { ok: boolean; dependencies: Record<string, { ok: boolean }> }
      assert.is(res.status, 200, url)
      assert.ok(body.ok, url)
      assert.ok(Object.values(body.dependencies).every((d) => d.ok), url)
    }

    const browser = await launchChromium()
    try {
      const context = await browser.newContext()
      const cspViolations = await watchCspViolations(context)
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      const res = await page.goto(stack.apiUrl)
      assert.is(res?.status(), 200)
      assert.is(await page.title(), 'Cutroom')
      await page.waitForSelector('#root *', { timeout: 10_000 })
      assert.equal(errors, [])
      assert.equal(cspViolations, [], 'the built client runs under the CSP the api sends')
      assert.match((await res?.allHeaders())?.['content-security-policy'] ?? '', "script-src 'self'")
    } finally {
      await browser.close()
    }

    // leave something behind in the embedded database
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} })
    await sql`insert into users (email, name, password_hash) values ('keep@example.com', 'Keep', 'x')`
    await sql.end()
  } finally {
    assert.is(await stack.stop(), 0, 'Ctrl-C stops cleanly with exit code 0')
  }
})

test('a second start keeps all data', async () => {
  const stack = await launchStack(dataDir)
  try {
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} })
    const rows = await sql`select name from users where email = 'keep@example.com'`
    await sql.end()
    assert.equal(rows.map((r) => r.name), ['Keep'])
  } finally {
    assert.is(await stack.stop(), 0)
  }
})

test('a bad configuration value stops the launcher with a message naming the variable', async () => {
  try {
    await launchStack(dataDir, { API_PORT: 'not-a-port' })
    assert.unreachable('launcher should refuse to start')
  } catch (err) {
    assert.match((err as Error).message, 'API_PORT')
  }
})

test.after(() => rmSync(dataDir, { recursive: true, force: true }))

test.run()
