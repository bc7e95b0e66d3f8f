import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
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
  '.wav': 'audio/wav',
}

/** S3's smallest part (all but the last); parts are buffered one at a time, so this is the upload's memory. */
export const MIN_PART_BYTES = 5 * 1024 * 1024

export interface StreamUploadOptions {
  /** Bytes per part (default 8 MiB; S3 refuses parts under 5 MiB except the last, s3rver does not check). */
  partSize?: number
  /** Aborting stops reading and aborts the multipart upload, so no object appears. */
  signal?: AbortSignal
  /** Told the upload id once S3 has created it, and the bytes sent after each part. */
  onStart?: (uploadId: string) => void
  onPart?: (partNumber: number, bytesSent: number) => void
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

  /**
   * Streams `body` into a multipart upload: one part in memory at a time, the reader paused while a part is
   * sent. Any failure or abort sends AbortMultipartUpload (so S3 keeps no parts and no object) and rethrows.
   */
  async uploadStream(
    key: string,
    body: AsyncIterable<Uint8Array>,
    contentType: string,
    options: StreamUploadOptions = {},
  ): Promise<UploadedFile> {
    const partSize = options.partSize ?? 8 * 1024 * 1024
    const { signal } = options
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    )
    const uploadId = created.UploadId!
    options.onStart?.(uploadId)
    const parts: { ETag: string; PartNumber: number }[] = []
    let size = 0
    const sendPart = async (bytes: Buffer) => {
      const PartNumber = parts.length + 1
      const res = await this.client.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: bytes, ContentLength: bytes.length }),
        { abortSignal: signal },
      )
      parts.push({ ETag: res.ETag!, PartNumber })
      size += bytes.length
      options.onPart?.(PartNumber, size)
    }
    try {
      let pending: Buffer[] = []
      let pendingBytes = 0
      for await (const chunk of body) {
        if (signal?.aborted) throw signal.reason ?? new Error('The upload was aborted.')
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        pendingBytes += chunk.byteLength
        while (pendingBytes >= partSize) {
          const all = Buffer.concat(pending)
          await sendPart(all.subarray(0, partSize))
          pending = [all.subarray(partSize)]
          pendingBytes = all.length - partSize
        }
      }
      if (signal?.aborted) throw signal.reason ?? new Error('The upload was aborted.')
      if (pendingBytes > 0 || parts.length === 0) await sendPart(Buffer.concat(pending))
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      )
      return { key, size }
    } catch (err) {
      await this.abortMultipart(key, uploadId)
      throw err
    }
  }

  /** Best effort: a store that cannot abort (s3rver answers 405) keeps the parts but never shows an object. */
  async abortMultipart(key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
      return true
    } catch {
      return false
    }
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
