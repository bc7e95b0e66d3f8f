import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmbeddedS3 } from '../embedded/embeddedS3'

export interface TestS3 {
  endpoint: string
  bucket: string
  /** Environment variables pointing a service at this S3. */
  env: Record<string, string>
  stop(): Promise<void>
}

/** s3rver with a bucket of its own for one suite. */
export async function startTestS3(): Promise<TestS3> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-s3-'))
  const bucket = `t-${randomBytes(5).toString('hex')}`
  const s3 = await startEmbeddedS3(dir, bucket, 0)
  return {
    endpoint: s3.url,
    bucket,
    env: { S3_ENDPOINT: s3.url, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
    async stop() {
      await s3.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
