/**
 * `s3Inventory.ts list <file>` writes one JSON line per object of S3_BUCKET (key, size, ETag, last modified);
 * `s3Inventory.ts check <file>` reports the keys of an inventory that the bucket no longer holds (exit 1 if any).
 * Used by infra/bin/backup and infra/bin/restore; reads the S3 variables the services read.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { loadConfig, S3Env } from '@cutroom/schema'

const config = loadConfig(S3Env)
const s3 = new S3Client({
  region: config.S3_REGION,
  endpoint: config.S3_ENDPOINT,
  forcePathStyle: config.S3_FORCE_PATH_STYLE,
  credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
})

async function* objects(): AsyncGenerator<{ key: string; size: number; etag: string; lastModified: string }> {
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: config.S3_BUCKET, ContinuationToken: token }))
    for (const o of page.Contents ?? [])
      yield {
        key: o.Key!,
        size: o.Size ?? 0,
        etag: (o.ETag ?? '').replaceAll('"', ''),
        lastModified: o.LastModified?.toISOString() ?? '',
      }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
}

const [command, file] = process.argv.slice(2)
if (!file || (command !== 'list' && command !== 'check')) {
  console.error('usage: s3Inventory.ts list|check <inventory.jsonl>')
  process.exit(64)
}
try {
  if (command === 'list') {
    const out = createWriteStream(file)
    let n = 0
    let bytes = 0
    for await (const o of objects()) {
      out.write(`${JSON.stringify(o)}\n`)
      n++
      bytes += o.size
    }
    await new Promise((r) => out.end(r))
    console.log(`${n} objects, ${bytes} bytes in bucket ${config.S3_BUCKET}`)
  } else {
    const present = new Map<string, string>()
    for await (const o of objects()) present.set(o.key, o.etag)
    const missing: string[] = []
    let n = 0
    for await (const line of createInterface({ input: createReadStream(file) })) {
      if (!line) continue
      const o = JSON.parse(line) as { key: string; etag: string }
      n++
      if (present.get(o.key) !== o.etag) missing.push(o.key)
    }
    if (missing.length) {
      console.error(`${missing.length} of ${n} objects are missing or changed, e.g. ${missing.slice(0, 5).join(', ')}`)
      process.exit(1)
    }
    console.log(`all ${n} objects of the inventory are in bucket ${config.S3_BUCKET}`)
  }
} catch (err) {
  console.error(`S3 inventory failed: ${(err as Error).name}: ${(err as Error).message}`)
  process.exit(1)
} finally {
  s3.destroy()
}
