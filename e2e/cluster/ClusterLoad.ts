import { readFileSync } from 'node:fs'
import { type ApiClient, createApiClient } from '@cutroom/api'
import { documentName } from '@cutroom/schema'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'
import * as Y from 'yjs'

/** The paragraph attribute that names which simulated editor types into it. */
export const EDITOR_ATTRIBUTE = 'data-editor'

export interface Studio {
  token: string
  client: ApiClient
  orgId: string
  projectId: string
  documentIds: string[]
}

/** Retries `f` while the api is unreachable (a replica died mid-request); counts the failed attempts. */
export async function withRetry<T>(f: () => Promise<T>, errors: { count: number }, attempts = 40): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f()
    } catch (err) {
      errors.count++
      if (i + 1 >= attempts) throw err
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/** A studio on the team plan (self-hosted plan change) with `documents` retell scripts, made through the api. */
export async function seedStudio(apiUrl: string, documents: number, label: string): Promise<Studio> {
  const errors = { count: 0 }
  const anon = createApiClient({ url: apiUrl })
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`
  const { token } = await withRetry(() => anon.auth.signUp.mutate({ email, password: 'correct horse 42', name: label }), errors)
  const client = createApiClient({ url: apiUrl, token })
  const org = await withRetry(() => client.orgs.create.mutate({ name: `${label} studio` }), errors)
  await withRetry(() => client.billing.setPlan.mutate({ orgId: org.id, plan: 'team' }), errors)
  const project = await withRetry(() => client.projects.create.mutate({ orgId: org.id, name: 'Load' }), errors)
  const documentIds: string[] = []
  for (let i = 0; i < documents; i++) {
    const doc = await withRetry(
      () => client.documents.create.mutate({ projectId: project.id, kind: 'retell', title: `Script ${i + 1}` }),
      errors,
    )
    documentIds.push(doc.id)
  }
  return { token, client, orgId: org.id, projectId: project.id, documentIds }
}

export interface EditorStats {
  id: string
  documentId: string
  /** Keystrokes typed. */
  written: number
  /** Keystrokes the server acknowledged (the provider's unsynced count reached 0 after them: "Saved"). */
  acknowledged: number
  /** What was typed, in order (the acknowledged ones are its first `acknowledged` characters). */
  text: string
  /** Time from keystroke to its acknowledgement, ms (keystrokes sent over one unbroken connection). */
  ackLatencies: number[]
  /** Connection losses: when the socket closed and when the document was synced again (ms since epoch). */
  outages: { downAt: number; upAt: number | null }[]
  /** Close events with a refusal code (4xxx): the server refused this editor. */
  refusals: number
}

/**
 * A person typing into their own paragraph of a retell script through the collab protocol (the Hocuspocus
 * provider, as the browser uses it), one keystroke every `intervalMs`.
 */
export class SimulatedEditor {
  readonly stats: EditorStats
  private readonly socket: HocuspocusProviderWebsocket
  private readonly provider: HocuspocusProvider
  private readonly doc = new Y.Doc()
  private text: Y.XmlText | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  /** Send times of keystrokes not yet acknowledged, oldest first (cleared when the connection restarts). */
  private pending: number[] = []
  private lastUnsynced = 0
  private typing = true
  everSynced = false

  constructor(
    url: string,
    token: string,
    readonly documentId: string,
    id: string,
    private readonly intervalMs: number,
  ) {
    this.stats = { id, documentId, written: 0, acknowledged: 0, text: '', ackLatencies: [], outages: [], refusals: 0 }
    this.socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket, delay: 100, minDelay: 100, maxDelay: 1000 })
    this.provider = new HocuspocusProvider({ websocketProvider: this.socket, name: documentName(documentId), token, document: this.doc })
    this.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
      const now = performance.now()
      if (number < this.lastUnsynced) {
        for (let i = 0; i < this.lastUnsynced - number; i++) {
          const sent = this.pending.shift()
          if (sent !== undefined) this.stats.ackLatencies.push(now - sent)
        }
      }
      this.lastUnsynced = number
      if (number === 0) this.stats.acknowledged = this.stats.written
    })
    this.provider.on('synced', () => {
      const outage = this.stats.outages.at(-1)
      if (outage && outage.upAt === null) outage.upAt = Date.now()
      if (!this.everSynced) this.begin()
    })
    this.provider.on('close', ({ event }: { event: { code: number } }) => {
      if (event.code >= 4000 && event.code < 5000) this.stats.refusals++
    })
    this.socket.on('disconnect', () => {
      // the unsynced count restarts on reconnect: keystrokes in flight are no longer timed
      this.pending = []
      const outage = this.stats.outages.at(-1)
      if (!outage || outage.upAt !== null) this.stats.outages.push({ downAt: Date.now(), upAt: null })
    })
    this.provider.attach()
  }

  private begin(): void {
    this.everSynced = true
    const body = this.doc.getXmlFragment('body')
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.setAttribute(EDITOR_ATTRIBUTE, this.stats.id)
    const text = new Y.XmlText()
    paragraph.insert(0, [text])
    body.push([paragraph])
    this.text = text
    this.timer = setInterval(() => this.type(), this.intervalMs)
  }

  private type(): void {
    if (!this.typing || !this.text) return
    const ch = 'abcdefghijklmnopqrstuvwxyz '[this.stats.written % 27]!
    this.pending.push(performance.now())
    this.stats.written++
    this.stats.text += ch
    this.text.insert(this.text.length, ch)
  }

  get unsynced(): number {
    return this.provider.unsyncedChanges
  }

  /** Stops typing (the connection stays, so what was typed still reaches the server). */
  pause(): void {
    this.typing = false
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.provider.destroy()
    this.socket.destroy()
    // a reconnect scheduled just before destroy() would otherwise retry forever (provider 4.7)
    this.socket.connect = async () => {}
  }
}

export interface UploadRecord {
  assetId: string
  probeJobId: string | null
}

/**
 * Uploads `file` again and again as new assets, as the browser does (presigned PUT straight to S3, then
 * completeUpload), one every `everyMs`, until stopped or `max` are done.
 */
export class Uploader {
  readonly uploads: UploadRecord[] = []
  readonly errors = { count: 0 }
  private stopped = false
  private readonly bytes: Buffer
  readonly done: Promise<void>

  constructor(
    private readonly studio: Studio,
    file: string,
    private readonly max: number,
    private readonly everyMs: number,
  ) {
    this.bytes = readFileSync(file)
    this.done = this.run()
  }

  private async run(): Promise<void> {
    const { client, projectId } = this.studio
    for (let i = 0; i < this.max && !this.stopped; i++) {
      const started = await withRetry(
        () =>
          client.assets.createUpload.mutate({ projectId, filename: `take-${i + 1}.mp4`, size: this.bytes.length, contentType: 'video/mp4' }),
        this.errors,
      )
      if (started.upload.mode !== 'single') throw new Error('a small file should go up with one PUT')
      const upload = started.upload
      await withRetry(async () => {
        const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(this.bytes) })
        if (res.status !== 200) throw new Error(`PUT answered ${res.status}`)
      }, this.errors)
      // completing again answers like the first time, so a retry after a dead api is safe
      const done = await withRetry(() => client.assets.completeUpload.mutate({ assetId: started.asset.id }), this.errors)
      this.uploads.push({ assetId: started.asset.id, probeJobId: done.probeJobId })
      await new Promise((r) => setTimeout(r, this.everyMs))
    }
  }

  stop(): void {
    this.stopped = true
  }
}

/** Reads the project's lists the way open pages poll them, recording each request's latency and errors. */
export class ApiTraffic {
  readonly latencies: number[] = []
  errors = 0
  requests = 0
  private stopped = false
  readonly done: Promise<void>

  constructor(
    private readonly studio: Studio,
    private readonly everyMs: number,
    concurrency = 1,
  ) {
    this.done = Promise.all(Array.from({ length: concurrency }, () => this.run())).then(() => {})
  }

  private async run(): Promise<void> {
    const { client, projectId, documentIds } = this.studio
    let i = 0
    while (!this.stopped) {
      const started = performance.now()
      try {
        const which = i++ % 3
        if (which === 0) await client.jobs.list.query({ projectId })
        else if (which === 1) await client.assets.list.query({ projectId })
        else await client.documents.get.query({ id: documentIds[i % documentIds.length]! })
        this.latencies.push(performance.now() - started)
      } catch {
        this.errors++
      }
      this.requests++
      await new Promise((r) => setTimeout(r, this.everyMs))
    }
  }

  stop(): void {
    this.stopped = true
  }
}
