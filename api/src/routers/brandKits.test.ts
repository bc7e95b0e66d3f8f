import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import { test } from 'uvu'
import { ZodError } from 'zod'
import * as assert from 'uvu/assert'
import { resolveBrandKit } from '../brandKits/resolveBrandKit'
import { createContext } from '../context'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { sweepStaleRows } from '../sweepStaleRows'
import { createCallerFactory } from '../trpc'

/** Brand kits against real Postgres and s3rver: uploads go to S3 with presigned PUTs, as a browser sends them. */

const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let ip = 0
let n = 0

/** The stable code a client sees: the api's own, or BAD_INPUT for input the procedure's schema refused (see trpc.ts). */
const codeOf = (e: unknown) =>
  (e as { cause?: { code?: string } })?.cause?.code ??
  ((e as { cause?: unknown }).cause instanceof ZodError ? 'BAD_INPUT' : undefined)
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error('should have failed')
}

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.7.0.${++ip % 250}` }))
}
type Caller = Awaited<ReturnType<typeof caller>>

async function person(name: string) {
  const { user, token } = await (await caller()).auth.signUp({
    email: `${name}${++n}@brandkits.test`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, call: await caller(token) }
}

/** Real files: a PNG and an MP4 made by ffmpeg, a font of the system's (fontconfig ships with ffmpeg). */
const png = execFileSync('ffmpeg', [
  '-v',
  'error',
  '-f',
  'lavfi',
  '-i',
  'color=c=red:s=64x32',
  '-frames:v',
  '1',
  '-c:v',
  'png',
  '-f',
  'image2pipe',
  'pipe:1',
])
const mp4 = execFileSync(
  'ffmpeg',
  [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:s=64x36:d=1',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    'frag_keyframe+empty_moov',
    '-f',
    'mp4',
    'pipe:1',
  ],
  { maxBuffer: 16 * 1024 ** 2 },
)
const fontPath = execFileSync('fc-match', ['-f', '%{file}', 'sans:fontformat=TrueType']).toString()
const font = readFileSync(fontPath)
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

async function upload(
  call: Caller,
  orgId: string,
  purpose: 'logo' | 'watermark' | 'font' | 'intro' | 'outro',
  filename: string,
  contentType: string,
  bytes: Buffer,
) {
  const started = await call.brandKits.createUpload({ orgId, purpose, filename, size: bytes.length, contentType })
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200, await put.text())
  return { started, complete: () => call.brandKits.completeUpload({ fileId: started.fileId }) }
}

async function uploaded(
  call: Caller,
  orgId: string,
  purpose: 'logo' | 'watermark' | 'font' | 'intro' | 'outro',
  filename: string,
  contentType: string,
  bytes: Buffer,
) {
  const { complete } = await upload(call, orgId, purpose, filename, contentType, bytes)
  return (await complete()).fileId
}

async function auditActions(orgId: string) {
  const rows = await api.services.db
    .select({ action: tables.auditLog.action })
    .from(tables.auditLog)
    .where(eq(tables.auditLog.orgId, orgId))
  return rows.map((r) => r.action).filter((a) => a.startsWith('brandKit.'))
}

async function counts() {
  const [row] = (await api.sql`select
      (select count(*) from brand_kits)::int as kits,
      (select count(*) from brand_kit_versions)::int as versions,
      (select count(*) from audit_log)::int as audits`) as unknown as [
    { kits: number; versions: number; audits: number },
  ]
  return row
}

test.before(async () => {
  api = await startMediaTestApi()
})
test.after(async () => {
  await api.close()
})

async function studio() {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: `Studio ${n}` })
  await api.services.db.update(tables.organizations).set({ plan: 'team' }).where(eq(tables.organizations.id, org.id))
  const member = async (role: 'admin' | 'editor' | 'reviewer' | 'viewer') => {
    const p = await person(role)
    await owner.call.orgs.members.add({ orgId: org.id, email: p.user.email, role })
    return p
  }
  return {
    owner,
    org,
    admin: await member('admin'),
    editor: await member('editor'),
    reviewer: await member('reviewer'),
    viewer: await member('viewer'),
  }
}

test('brand kits: uploads, create and update keep every version; the resolver gives the spec exports read', async () => {
  const { org, editor, admin, viewer } = await studio()
  const logo = await uploaded(editor.call, org.id, 'logo', 'logo.png', 'image/png', png)
  const mark = await uploaded(editor.call, org.id, 'watermark', 'bug.png', 'image/png', png)
  const fontId = await uploaded(editor.call, org.id, 'font', 'Brand Sans.ttf', '', font)
  const intro = await uploaded(editor.call, org.id, 'intro', 'intro.mp4', 'video/mp4', mp4)
  const outro = await uploaded(editor.call, org.id, 'outro', 'outro.png', 'image/png', png)

  // Brand kit files count towards the organization's storage, like media.
  const billing = await admin.call.billing.get({ orgId: org.id })
  assert.is(billing.usage.storageBytes, png.length * 3 + font.length + mp4.length)

  const kit = await editor.call.brandKits.create({
    orgId: org.id,
    name: 'Spring campaign',
    settings: {
      logoFileId: logo,
      captionStyle: 'bold',
      colors: { primary: '#ff3300', secondary: '#002244', text: '#ffffff' },
    },
  })
  assert.is(kit.version, 1)
  const v2 = await admin.call.brandKits.update({
    id: kit.id,
    baseVersion: 1,
    settings: {
      logoFileId: logo,
      watermark: { fileId: mark, position: 'bottom-right', opacity: 0.6 },
      fonts: [{ family: 'Brand Sans', fileId: fontId }],
      colors: { primary: '#ff3300', secondary: '#002244', text: '#ffffff' },
      captionStyle: 'karaoke',
      introFileId: intro,
      outroFileId: outro,
    },
  })
  assert.is(v2.version, 2)
  const renamed = await editor.call.brandKits.update({
    id: kit.id,
    name: 'Spring 2027',
    settings: { ...v2.settings, captionStyle: 'clean' },
  })
  assert.is(renamed.version, 3)

  // Everyone in the organization reads kits and their versions; the previous versions are as they were saved.
  const got = await viewer.call.brandKits.get({ id: kit.id })
  assert.is(got.name, 'Spring 2027')
  assert.is(got.settings.captionStyle, 'clean')
  assert.equal(got.files.map((f) => f.filename).sort(), [
    'Brand Sans.ttf',
    'bug.png',
    'intro.mp4',
    'logo.png',
    'outro.png',
  ])
  const versions = await viewer.call.brandKits.versions({ id: kit.id })
  assert.equal(
    versions.map((v) => [v.version, v.name, v.settings.captionStyle, v.current]),
    [
      [3, 'Spring 2027', 'clean', true],
      [2, 'Spring campaign', 'karaoke', false],
      [1, 'Spring campaign', 'bold', false],
    ],
  )
  assert.is(versions[2]!.settings.watermark, null)
  assert.is(versions[1]!.createdByName, 'admin')
  assert.equal(
    (await viewer.call.brandKits.list({ orgId: org.id })).map((k) => [k.id, k.version]),
    [[kit.id, 3]],
  )

  // The resolver: the current version, or the one an export recorded; keys of the uploaded objects.
  const current = await resolveBrandKit(api.services.db, org.id, kit.id)
  assert.is(current!.version, 3)
  const spec = current!.spec
  assert.match(spec.logoKey!, new RegExp(`^orgs/${org.id}/brand-kits/files/${logo}/logo\\.png$`))
  assert.equal(spec.watermark, { key: spec.watermark!.key, position: 'bottom-right', opacity: 0.6 })
  assert.match(spec.watermark!.key, new RegExp(`/${mark}/bug\\.png$`))
  assert.equal(
    spec.fonts!.map((f) => f.family),
    ['Brand Sans'],
  )
  assert.match(spec.introKey!, /intro\.mp4$/)
  assert.match(spec.outroKey!, /outro\.png$/)
  assert.is(spec.captionStyle, 'clean')
  const first = await resolveBrandKit(api.services.db, org.id, kit.id, 1)
  assert.equal(first!.spec, {
    logoKey: spec.logoKey,
    colors: { primary: '#ff3300', secondary: '#002244', text: '#ffffff' },
    captionStyle: 'bold',
  })
  assert.is(await resolveBrandKit(api.services.db, org.id, kit.id, 4), null)
  assert.is(await resolveBrandKit(api.services.db, crypto.randomUUID(), kit.id), null, 'another organization')
  // The objects the spec names are in storage.
  for (const key of [spec.logoKey!, spec.watermark!.key, spec.fonts![0]!.key, spec.introKey!])
    assert.ok((await api.services.media!.storage.sizeOf(key))! > 0, key)

  // Delete: gone from the list and from the resolver; the versions stay in the database.
  await editor.call.brandKits.delete({ id: kit.id })
  assert.equal(await viewer.call.brandKits.list({ orgId: org.id }), [])
  assert.is(codeOf(await failure(viewer.call.brandKits.get({ id: kit.id }))), 'NOT_FOUND')
  assert.is(await resolveBrandKit(api.services.db, org.id, kit.id), null)
  const kept = await api.services.db
    .select()
    .from(tables.brandKitVersions)
    .where(eq(tables.brandKitVersions.brandKitId, kit.id))
  assert.is(kept.length, 3)

  assert.equal((await auditActions(org.id)).sort(), [
    'brandKit.create',
    'brandKit.delete',
    ...Array(5).fill('brandKit.file.upload'),
    'brandKit.update',
    'brandKit.update',
  ])
})

test('brand kits: reviewers and viewers change nothing; other tenants get NOT_FOUND', async () => {
  const { org, owner, reviewer, viewer } = await studio()
  const kit = await owner.call.brandKits.create({ orgId: org.id, name: 'House style' })
  const before = await counts()
  for (const who of [reviewer, viewer]) {
    for (const attempt of [
      () => who.call.brandKits.create({ orgId: org.id, name: 'Mine' }),
      () => who.call.brandKits.update({ id: kit.id, settings: { captionStyle: 'bold' } }),
      () => who.call.brandKits.delete({ id: kit.id }),
      () =>
        who.call.brandKits.createUpload({
          orgId: org.id,
          purpose: 'logo',
          filename: 'a.png',
          size: 10,
          contentType: 'image/png',
        }),
    ]) {
      const e = await failure(attempt())
      assert.is(codeOf(e), 'FORBIDDEN_ROLE')
      assert.match(e.message, /needs editor or higher/)
    }
    assert.is((await who.call.brandKits.get({ id: kit.id })).name, 'House style')
  }

  const other = await person('stranger')
  const otherOrg = await other.call.orgs.create({ name: 'Rival' })
  for (const attempt of [
    () => other.call.brandKits.get({ id: kit.id }),
    () => other.call.brandKits.versions({ id: kit.id }),
    () => other.call.brandKits.update({ id: kit.id, settings: {} }),
    () => other.call.brandKits.delete({ id: kit.id }),
    () => other.call.brandKits.list({ orgId: org.id }),
    () => other.call.brandKits.create({ orgId: org.id, name: 'Sneaky' }),
    () => other.call.brandKits.get({ id: crypto.randomUUID() }),
    () => other.call.brandKits.get({ id: 'not-a-uuid' }),
  ])
    assert.is(codeOf(await failure(attempt())), 'NOT_FOUND')
  // A file of this organization cannot be used by another one, nor completed by it.
  const { started } = await upload(owner.call, org.id, 'logo', 'logo.png', 'image/png', png)
  assert.is(codeOf(await failure(other.call.brandKits.completeUpload({ fileId: started.fileId }))), 'NOT_FOUND')
  await owner.call.brandKits.completeUpload({ fileId: started.fileId })
  const e = await failure(
    other.call.brandKits.create({ orgId: otherOrg.id, name: 'Theirs', settings: { logoFileId: started.fileId } }),
  )
  assert.is(codeOf(e), 'BAD_INPUT')
  assert.match(e.message, /The logo file was not uploaded to this organization/)
  const after = await counts()
  assert.equal({ kits: after.kits, versions: after.versions }, { kits: before.kits, versions: before.versions })
})

test('brand kits: bad input is refused with a message naming the file, and changes nothing', async () => {
  const { org, editor } = await studio()
  const logo = await uploaded(editor.call, org.id, 'logo', 'logo.png', 'image/png', png)
  const kit = await editor.call.brandKits.create({ orgId: org.id, name: 'Kit', settings: { logoFileId: logo } })

  // A declared type that does not fit the slot: refused before any upload starts.
  const pdfLogo = await failure(
    editor.call.brandKits.createUpload({
      orgId: org.id,
      purpose: 'logo',
      filename: 'deck.pdf',
      size: pdf.length,
      contentType: 'application/pdf',
    }),
  )
  assert.is(codeOf(pdfLogo), 'UNSUPPORTED_MEDIA')
  assert.match(pdfLogo.message, /"deck\.pdf" \(application\/pdf\) cannot be a logo; upload a PNG, JPEG or WebP image/)
  const videoFont = await failure(
    editor.call.brandKits.createUpload({
      orgId: org.id,
      purpose: 'font',
      filename: 'clip.mp4',
      size: 10,
      contentType: 'video/mp4',
    }),
  )
  assert.match(videoFont.message, /"clip\.mp4" \(video\/mp4\) cannot be a font; upload a TrueType or OpenType font/)
  const huge = await failure(
    editor.call.brandKits.createUpload({
      orgId: org.id,
      purpose: 'logo',
      filename: 'big.png',
      size: 26 * 1024 ** 2,
      contentType: 'image/png',
    }),
  )
  assert.is(codeOf(huge), 'PAYLOAD_TOO_LARGE')

  // Bytes that are not what was declared: refused on completion, naming the file; the file cannot be used.
  const fake = await upload(editor.call, org.id, 'watermark', 'mark.png', 'image/png', pdf)
  const notImage = await failure(fake.complete())
  assert.is(codeOf(notImage), 'UNSUPPORTED_MEDIA')
  assert.match(
    notImage.message,
    /"mark\.png" is not a PNG, JPEG or WebP image: its contents are of no kind a brand kit takes/,
  )
  const again = await failure(fake.complete())
  assert.is(codeOf(again), 'INVALID_STATE')
  assert.match(again.message, /^"mark\.png" was already refused: "mark\.png" is not a PNG, JPEG or WebP image: .*\.$/)
  assert.not.match(again.message, /\.\.$/)
  const fakeFont = await upload(editor.call, org.id, 'font', 'Brand.ttf', 'font/ttf', png)
  assert.match(
    (await failure(fakeFont.complete())).message,
    /"Brand\.ttf" is not a TrueType or OpenType font \(\.ttf, \.otf\): its contents are an image/,
  )

  const before = await counts()
  const current = await editor.call.brandKits.get({ id: kit.id })
  const refused = async (
    settings: Parameters<Caller['brandKits']['update']>[0]['settings'],
    pattern: RegExp,
    code = 'BAD_INPUT',
  ) => {
    const e = await failure(editor.call.brandKits.update({ id: kit.id, settings }))
    assert.is(codeOf(e), code, e.message)
    assert.match(e.message, pattern)
  }
  await refused(
    { watermark: { fileId: fake.started.fileId, position: 'top-left', opacity: 0.5 } },
    /The watermark file "mark\.png" was refused when it was uploaded/,
  )
  const fontId = await uploaded(editor.call, org.id, 'font', 'Brand Sans.otf', 'application/octet-stream', font)
  await refused(
    { logoFileId: fontId },
    /"Brand Sans\.otf" is a font; the logo must be a PNG, JPEG or WebP image/,
    'UNSUPPORTED_MEDIA',
  )
  const pending = (
    await editor.call.brandKits.createUpload({
      orgId: org.id,
      purpose: 'intro',
      filename: 'intro.mp4',
      size: mp4.length,
      contentType: 'video/mp4',
    })
  ).fileId
  await refused({ introFileId: pending }, /The intro slate file "intro\.mp4" has not finished uploading/)
  await refused({ watermark: { fileId: logo, position: 'top-left', opacity: 0.01 } }, /below 5% opacity/)
  await refused({ colors: { primary: 'red', secondary: '#000000', text: '#ffffff' } }, /#rrggbb/)
  await refused({ fonts: [{ family: 'Brand, Sans', fileId: fontId }] }, /cannot contain commas/)
  await refused(
    {
      fonts: [
        { family: 'A', fileId: fontId },
        { family: 'a', fileId: fontId },
      ],
    },
    /Each font family once/,
  )
  await refused({ captionStyle: 'neon' as 'bold' }, /clean|bold|karaoke/)
  await refused({ logoFileId: logo, extra: 1 } as never, /extra|Unrecognized/i)
  const stale = await failure(editor.call.brandKits.update({ id: kit.id, baseVersion: 7, settings: {} }))
  assert.is(codeOf(stale), 'CONFLICT')
  assert.match(stale.message, /at version 1 now, not 7/)

  const after = await counts()
  assert.equal({ kits: after.kits, versions: after.versions }, { kits: before.kits, versions: before.versions })
  assert.equal(await editor.call.brandKits.get({ id: kit.id }), current)

  // An upload never completed is swept after a day; finished files stay.
  await api.sql`update brand_kit_files set created_at = now() - interval '2 days' where org_id = ${org.id}`
  await sweepStaleRows(api.services.db)
  const left = await api.sql`select id, status from brand_kit_files where org_id = ${org.id}`
  assert.ok(!left.some((r) => r.id === pending), 'the unfinished upload is gone')
  assert.ok(left.some((r) => r.id === logo && r.status === 'ready'))
  assert.equal((await editor.call.brandKits.versions({ id: kit.id })).length, 1)
})

test('brand kits: API keys act with their role; two saves from the same version: one wins, the other is told', async () => {
  const { org, owner, editor } = await studio()
  const editorKey = await caller((await owner.call.apiKeys.create({ orgId: org.id, name: 'CI', role: 'editor' })).key)
  const viewerKey = await caller((await owner.call.apiKeys.create({ orgId: org.id, name: 'read', role: 'viewer' })).key)
  const kit = await editorKey.brandKits.create({
    orgId: org.id,
    name: 'Automated',
    settings: { captionStyle: 'clean' },
  })
  assert.is(codeOf(await failure(viewerKey.brandKits.update({ id: kit.id, settings: {} }))), 'FORBIDDEN_ROLE')
  assert.is((await viewerKey.brandKits.get({ id: kit.id })).settings.captionStyle, 'clean')

  const saves = await Promise.allSettled([
    editor.call.brandKits.update({ id: kit.id, baseVersion: 1, settings: { captionStyle: 'bold' } }),
    editorKey.brandKits.update({ id: kit.id, baseVersion: 1, settings: { captionStyle: 'karaoke' } }),
  ])
  const won = saves.filter((r) => r.status === 'fulfilled')
  const lost = saves.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  assert.is(won.length, 1)
  assert.is(lost.length, 1)
  assert.is(codeOf(lost[0]!.reason), 'CONFLICT')
  const versions = await viewerKey.brandKits.versions({ id: kit.id })
  assert.equal(
    versions.map((v) => v.version),
    [2, 1],
  )
  assert.is(versions[1]!.createdByName, null, 'version 1 was saved by an API key')
  assert.ok(versions[1]!.createdByApiKey)
  assert.is(versions[1]!.settings.captionStyle, 'clean')
})

test.run()
