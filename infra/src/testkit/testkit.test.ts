import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import postgres from 'postgres'
import { createTestDatabase } from './testDatabase'
import { startTestNats } from './testNats'
import { startTestS3 } from './testS3'

test('a test database is migrated, isolated, and dropped', async () => {
  const db = await createTestDatabase()
  const sql = postgres(db.url, { max: 1, onnotice: () => {} })
  const rows = await sql`select count(*)::int as n from users`
  assert.is(rows[0]!.n, 0)
  await sql.end()
  await db.drop()
  const again = postgres(db.url, { max: 1, onnotice: () => {}, connect_timeout: 2 })
  const error = await again`select 1`.then(() => null, (e: Error) => e)
  assert.match(String(error?.message), 'does not exist')
  await again.end().catch(() => {})
})

test('a test NATS server speaks JetStream on its own port', async () => {
  const nats = await startTestNats()
  assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/)
  assert.not.match(nats.url, /:4222$/)
  await nats.stop()
})

test('a test S3 has its bucket, stores objects, and refuses unknown buckets', async () => {
  const s3 = await startTestS3()
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/b.txt', Body: 'hello' }))
  const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.txt' }))
  assert.is(await got.Body!.transformToString(), 'hello')
  const error = await client.send(new PutObjectCommand({ Bucket: 'nope-not-here', Key: 'x', Body: 'y' })).then(
    () => null,
    (e: Error) => e,
  )
  assert.is(error?.name, 'NoSuchBucket')
  client.destroy()
  await s3.stop()
})

test.run()
