/**
 * PUT a body to a presigned S3 URL with upload progress (fetch has no upload progress events, XHR does).
 * Resolves with the ETag S3 returned (needed to complete a multipart upload).
 */
export function putWithProgress(
  url: string,
  body: Blob,
  opts: { headers?: Record<string, string>; signal?: AbortSignal; onProgress?: (sentBytes: number) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', url)
    for (const [k, v] of Object.entries(opts.headers ?? {})) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded)
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader('etag') ?? '')
      else reject(new Error(`Storage refused the upload (HTTP ${xhr.status}). Try again.`))
    }
    xhr.onerror = () => reject(new Error('The upload was interrupted (network). It resumes where it stopped when you retry.'))
    xhr.onabort = () => reject(new DOMException('Upload paused', 'AbortError'))
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(body)
  })
}
