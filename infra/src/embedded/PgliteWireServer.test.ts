import { PGlite } from '@electric-sql/pglite'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort } from '../freePort'
import { PgliteWireServer } from './PgliteWireServer'

let db: PGlite
let server: PgliteWireServer
let url: string

test.before(async () => {
  db = await PGlite.create()
  await db.exec('create table items (id int primary key, owner text not null, n int not null)')
  server = new PgliteWireServer(db)
  const port = await freePort()
  await server.listen(port, '127.0.0.1')
  url = `postgres://postgres@127.0.0.1:${port}/postgres`
})

test.after(async () => {
  await server.close()
  await db.close()
})

test('concurrent parameterized queries from many connections each get their own answer', async () => {
  const clients = Array.from({ length: 4 }, () => postgres(url, { max: 4, prepare: false, onnotice: () => {} }))
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const sql = clients[i % clients.length]!
      // two parameters of different types, so a Bind from one query cannot fit another's Parse
      return i % 2
        ? sql`select ${i}::int as a, ${`text-${i}`}::text as b`.then((r) => [r[0]!.a, r[0]!.b])
        : sql`select ${i}::int as a`.then((r) => [r[0]!.a])
    }),
  )
  for (const [i, r] of results.entries()) assert.equal(r, i % 2 ? [i, `text-${i}`] : [i], `query ${i}`)
  await Promise.all(clients.map((c) => c.end()))
})

test('a transaction is not interleaved with other clients, and a rollback undoes only it', async () => {
  const a = postgres(url, { max: 2, prepare: false, onnotice: () => {} })
  const b = postgres(url, { max: 2, prepare: false, onnotice: () => {} })
  const writes: Promise<unknown>[] = []
  const tx = a.begin(async (t) => {
    await t`insert into items values (1, 'a', 1)`
    // while a holds its transaction open, b's statements must wait instead of joining it
    writes.push(b`insert into items values (2, 'b', 2)`)
    await new Promise((r) => setTimeout(r, 100))
    await t`insert into items values (3, 'a', 3)`
    throw new Error('abort')
  })
  const error = await tx.then(
    () => null,
    (e: Error) => e,
  )
  assert.is(error?.message, 'abort')
  await Promise.all(writes)
  const rows = await b`select id, owner from items order by id`
  assert.equal(
    rows.map((r) => [r.id, r.owner]),
    [[2, 'b']],
  )
  await Promise.all([a.end(), b.end()])
})

test('a client that disconnects inside a transaction does not block or leak it to others', async () => {
  const a = postgres(url, { max: 1, prepare: false, onnotice: () => {} })
  const reserved = await a.reserve()
  await reserved`begin`
  await reserved`insert into items values (10, 'gone', 10)`
  // drop the connection without commit or rollback
  await a.end({ timeout: 0 })
  const b = postgres(url, { max: 1, prepare: false, onnotice: () => {} })
  const rows = await b`select id from items where id = 10`
  assert.is(rows.length, 0)
  await b`insert into items values (11, 'b', 11)`
  assert.is((await b`select count(*)::int as n from items where id = 11`)[0]!.n, 1)
  await b.end()
})

test.run()
