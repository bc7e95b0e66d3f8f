import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { S3Env } from '@cutroom/schema'

export interface UploadedPart {
  partNumber: number
  etag: string
  size: number
}

export interface ObjectRange {
  body: Readable
  contentType: string | undefined
  contentLength: number
  contentRange: string | undefined
  etag: string | undefined
  totalSize: number | undefined
}

/** How long a presigned URL stays valid; a resumed upload asks for fresh ones. */
export const PRESIGN_TTL_SECONDS = 3600

function s3Client(config: S3Env, endpoint: string | undefined): S3Client {
  return new S3Client({
    endpoint,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    // s3rver (and some S3-compatible stores) reject the newer default checksums
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
  })
}

/**
 * The api's S3 access: presigned URLs so browsers upload straight to the bucket (signed for the public
 * endpoint), multipart bookkeeping, and ranged reads for the /media route. Upload bytes never pass through here.
 */
export class ObjectStorage {
  private readonly client: S3Client
  private readonly signer: S3Client
  readonly bucket: string

  constructor(config: S3Env) {
    this.bucket = config.S3_BUCKET
    this.client = s3Client(config, config.S3_ENDPOINT)
    this.signer = config.S3_PUBLIC_ENDPOINT ? s3Client(config, config.S3_PUBLIC_ENDPOINT) : this.client
  }

  /**
   * The origin browsers upload to, for the pages' Content-Security-Policy: taken from a presigned URL itself
   * (signing is local), so path-style, virtual-hosted and S3_PUBLIC_ENDPOINT all come out as the browser sees them.
   */
  async browserOrigin(): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: 'origin' })
    return new URL(await getSignedUrl(this.signer, command, { expiresIn: 60 })).origin
  }

  presignPut(key: string, contentType: string, size: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: size })
    return getSignedUrl(this.signer, command, { expiresIn: PRESIGN_TTL_SECONDS })
  }

  async createMultipart(key: string, contentType: string): Promise<string> {
    const res = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }))
    if (!res.UploadId) throw new Error('S3 did not return an upload id')
    return res.UploadId
  }

  presignPart(key: string, uploadId: string, partNumber: number): Promise<string> {
    const command = new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber })
    return getSignedUrl(this.signer, command, { expiresIn: PRESIGN_TTL_SECONDS })
  }

  /**
   * The parts S3 already has, or null when the store does not implement ListParts (s3rver); the client then
   * relies on the parts it recorded itself.
   */
  async listParts(key: string, uploadId: string): Promise<UploadedPart[] | null> {
    const parts: UploadedPart[] = []
    let marker: string | undefined
    try {
      for (;;) {
        const res = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        )
        for (const p of res.Parts ?? []) parts.push({ partNumber: p.PartNumber!, etag: p.ETag!, size: p.Size ?? 0 })
        if (!res.IsTruncated) break
        marker = res.NextPartNumberMarker
      }
    } catch (err) {
      const name = (err as Error).name
      if (name === 'MethodNotAllowed' || name === 'NotImplemented' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 405) return null
      throw err
    }
    return parts
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    )
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
  }

  /** Size of an object, or null when it does not exist. */
  async sizeOf(key: string): Promise<number | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return res.ContentLength ?? 0
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return null
      throw err
    }
  }

  /** Reads an object, or the byte range `range` (an HTTP Range header value); null when it does not exist. */
  async read(key: string, range?: string, signal?: AbortSignal): Promise<ObjectRange | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }), { abortSignal: signal })
      const total = res.ContentRange ? Number(res.ContentRange.split('/')[1]) : res.ContentLength
      return {
        body: res.Body as Readable,
        contentType: res.ContentType,
        contentLength: res.ContentLength ?? 0,
        contentRange: res.ContentRange,
        etag: res.ETag,
        totalSize: Number.isFinite(total) ? total : undefined,
      }
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (status === 404 || (err as Error).name === 'NoSuchKey') return null
      throw err
    }
  }

  close(): void {
    this.client.destroy()
    if (this.signer !== this.client) this.signer.destroy()
  }
}
