import { mkdirSync } from 'node:fs'
import S3rver from 's3rver'
import { freePort } from '../freePort'
import type { EmbeddedService } from './embeddedPostgres'

/** Browsers upload straight to S3, so the bucket answers CORS preflights and exposes ETag for multipart. */
const CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`

/** s3rver on loopback with `bucket` created; objects live in `dataDir`. */
export async function startEmbeddedS3(dataDir: string, bucket: string, preferredPort = 54569): Promise<EmbeddedService> {
  mkdirSync(dataDir, { recursive: true })
  const port = await freePort(preferredPort)
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    directory: dataDir,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [CORS] }],
  })
  await server.run()
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await server.close()
    },
  }
}
