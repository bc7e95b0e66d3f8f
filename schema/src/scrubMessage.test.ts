import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SCRUBBED_MESSAGE_MAX_LENGTH, scrubMessage } from './scrubMessage'

const presigned =
  'http://127.0.0.1:54569/t-9f3a1c2b7d/orgs/0b7e5f0c-4f8a-4c55-9a51-9e6f3b1e2d10/projects/3d1c9a7e-2b6f-4e0a-8c1d-5f4e3a2b1c0d/assets/' +
  '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d/source/x.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD' +
  '&X-Amz-Credential=S3RVER%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=21600' +
  '&X-Amz-Signature=3f2b8c1d9e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c&X-Amz-SignedHeaders=host&x-id=GetObject'

test('a presigned URL in ffprobe’s message becomes the file name and the reason stays', () => {
  const out = scrubMessage(`${presigned}: Invalid data found when processing input`)
  assert.is(out, 'x.mp4: Invalid data found when processing input')
})

test('http, https, s3 and ws URLs are removed; a URL that names no file becomes [url]', () => {
  assert.is(scrubMessage('GET https://s3.eu-west-1.amazonaws.com/prod-media/clip.mov failed'), 'GET clip.mov failed')
  assert.is(
    scrubMessage('copy from s3://prod-media/orgs/a/b/source/take%201.wav refused'),
    'copy from take 1.wav refused',
  )
  assert.is(scrubMessage('cannot reach ws://10.0.3.7:4001/collab (timeout).'), 'cannot reach [url] (timeout).')
  assert.is(scrubMessage('fetch failed: http://localhost:4000/trpc/jobs?batch=1'), 'fetch failed: [url]')
  const out = scrubMessage('POST https://hooks.example.com/in/abc123 returned 500')
  assert.not.match(out, /hooks\.example|https?:/)
})

test('presigned query strings without their URL are removed', () => {
  const out = scrubMessage(
    'request ?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101&X-Amz-Signature=deadbeefcafe&X-Amz-Expires=60 denied',
  )
  assert.not.match(out, /X-Amz|AKIA|deadbeef/)
  assert.match(out, /request .*denied/)
})

test('AWS access key ids, the s3rver default key and named secrets are removed', () => {
  assert.is(
    scrubMessage('The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist'),
    'The AWS Access Key Id [redacted] does not exist',
  )
  assert.is(
    scrubMessage('credential S3RVER/20250101/us-east-1/s3/aws4_request rejected'),
    'credential [redacted]/20250101/us-east-1/s3/aws4_request rejected',
  )
  const out = scrubMessage(
    'config: { accessKeyId: "ASIAY34FZKBOKMUTVV7A", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }',
  )
  assert.not.match(out, /ASIAY34|wJalrXUtnFEMI|EXAMPLEKEY/)
  assert.match(scrubMessage('password=hunter2hunter2 was refused'), /^password=\[redacted\] was refused$/)
})

test('configured secrets and names passed in `redact` are removed wherever they appear', () => {
  const out = scrubMessage('NoSuchBucket: t-9f3a1c2b7d (key minioadmin99)', {
    redact: ['t-9f3a1c2b7d', 'minioadmin99', '', undefined, 'ab'],
  })
  assert.is(out, 'NoSuchBucket: [redacted] (key [redacted])')
})

test('long hex, base32 and base64 tokens are removed; UUIDs, words and numbers are kept', () => {
  const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
  assert.is(scrubMessage(`session ${hex} expired`), 'session [redacted] expired')
  assert.is(scrubMessage('token k7x2m4q5r6s3t2u7v4w5x6y2z3a4b5c6 is invalid'), 'token [redacted] is invalid')
  assert.is(scrubMessage('sig dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB2YWx1ZQ== bad'), 'sig [redacted] bad')
  const id = '0b7e5f0c-4f8a-4c55-9a51-9e6f3b1e2d10'
  assert.is(scrubMessage(`job ${id} failed after 3 attempts`), `job ${id} failed after 3 attempts`)
  assert.is(
    scrubMessage('Content-Security-Policy-Report-Only header; 1920x1080 at 30000/1001'),
    'Content-Security-Policy-Report-Only header; 1920x1080 at 30000/1001',
  )
})

test('crk_ API keys, whsec_ secrets, Stripe keys and Bearer tokens are removed', () => {
  assert.is(scrubMessage('key crk_ab12cd34_k7x2m4q5r6s3t2u7v4w5 revoked'), 'key [api key] revoked')
  assert.is(scrubMessage('signed with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), 'signed with [redacted]')
  assert.is(scrubMessage('stripe said sk_test_51H8abcDEF for this'), 'stripe said [redacted] for this')
  assert.is(scrubMessage('sent Authorization: Bearer abc.def-ghi_jkl'), 'sent Authorization: Bearer [redacted]')
  assert.is(scrubMessage('Bearer 3c4d5e6f7a8b9c0d1e2f'), 'Bearer [redacted]')
})

test('internal paths become their file name, or [path] when the name tells nothing', () => {
  assert.is(
    scrubMessage('/tmp/cutroom-thumbnails-Ab12Cd/sprite.jpg: Permission denied'),
    'sprite.jpg: Permission denied',
  )
  assert.is(
    scrubMessage("ENOENT: no such file or directory, open '/work/main/.data/s3/bucket'"),
    "ENOENT: no such file or directory, open '[path]'",
  )
  assert.is(
    scrubMessage('Cannot find module /work/main/node_modules/.pnpm/x@1/node_modules/x/index.js'),
    'Cannot find module [path]',
  )
  assert.is(
    scrubMessage(
      'object orgs/0b7e5f0c-4f8a-4c55-9a51-9e6f3b1e2d10/projects/p/assets/a/source/interview.mov is missing',
    ),
    'object interview.mov is missing',
  )
  assert.is(scrubMessage('connect ECONNREFUSED 127.0.0.1:5432'), 'connect ECONNREFUSED [address]')
})

test('multi-line stack traces are dropped and the message line is kept', () => {
  const err = new Error('relation "jobs" does not exist')
  const out = scrubMessage(
    `${err.stack}\n    at async Promise.all (index 0)\n    at node:internal/process/task_queues:105:5\n    ... 2 lines matching cause stack trace ...`,
  )
  assert.is(out, 'Error: relation "jobs" does not exist')
  assert.is(scrubMessage('first\n\n  second  \nsecond\n'), 'first\nsecond', 'blank and repeated lines go')
})

test('the result is bounded, also for huge input', () => {
  const out = scrubMessage('Invalid data found when processing input. '.repeat(10_000))
  assert.ok(out.length <= SCRUBBED_MESSAGE_MAX_LENGTH)
  assert.ok(out.endsWith('…'))
  assert.is(scrubMessage('x'.repeat(50), { maxLength: 10 }).length, 10)
  assert.is(scrubMessage(undefined), '')
  assert.is(scrubMessage(new Error('moov atom not found')), 'moov atom not found')
})

test.run()
