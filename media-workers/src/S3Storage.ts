import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { S3Env } from '@cutroom/schema'

export interface UploadedFile {
  key: string
  size: number
}

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
}

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
}

/** The workers' one S3 adapter: read URLs for sources, uploads for artifacts. */
export class S3Storage {
  readonly client: S3Client
  /** What an error shown to people must never contain: the bucket and the credentials (URLs go whole). */
  readonly redactions: string[]
  constructor(
    config: Pick<S3Env, 'S3_ENDPOINT' | 'S3_REGION' | 'S3_BUCKET' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY' | 'S3_FORCE_PATH_STYLE'>,
    readonly bucket = config.S3_BUCKET,
  ) {
    this.redactions = [bucket, config.S3_ACCESS_KEY_ID, config.S3_SECRET_ACCESS_KEY].filter((s): s is string => !!s)
    this.client = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      // s3rver (and some S3-compatible stores) reject the newer default checksums
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    })
  }

  /** Size of an object; throws when it is missing or S3 cannot be reached. */
  async sizeOf(key: string): Promise<number> {
    const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
    return res.ContentLength ?? 0
  }

  /**
   * A URL ffmpeg can read the object from directly (with Range requests for seeking), so a job starts at once
   * instead of after a full download and never writes the source to local disk.
   */
  readUrl(key: string, expiresInSeconds = 6 * 3600): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds })
  }

  async uploadFile(key: string, file: string, contentType = contentTypeOf(file)): Promise<UploadedFile> {
    const { size } = await stat(file)
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: contentType }),
    )
    return { key, size }
  }

  async uploadBytes(key: string, body: Uint8Array | string, contentType: string): Promise<UploadedFile> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }))
    return { key, size: bytes.byteLength }
  }

  /** Uploads every file under `dir` to `prefix/<relative path>`, a few at a time. */
  async uploadDir(prefix: string, dir: string, concurrency = 4): Promise<UploadedFile[]> {
    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort()
    const uploaded: UploadedFile[] = []
    let next = 0
    const lane = async () => {
      while (next < files.length) {
        const file = files[next++]!
        const rel = path.relative(dir, file).split(path.sep).join('/')
        uploaded.push(await this.uploadFile(`${prefix}/${rel}`, file))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, lane))
    return uploaded.sort((a, b) => a.key.localeCompare(b.key))
  }

  close(): void {
    this.client.destroy()
  }
}
