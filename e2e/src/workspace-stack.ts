import path from 'node:path'
import { type ApiClient, createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi, startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import { type CollabServer, createCollabServer } from '@cutroom/collab'
import { freePort } from '@cutroom/infra'
import { type DocumentKind, documentName, type Role } from '@cutroom/schema'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import postgres from 'postgres'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { launchChromium } from './chromium'
import { watchCspViolations } from './cspViolations'

/** The built client the api serves; `CLIENT_DIST` points elsewhere (e.g. a build in progress). */
const CLIENT_DIST = process.env.CLIENT_DIST ?? path.resolve(import.meta.dirname, '../../client/dist')
const PASSWORD = 'correct horse 42'

export interface Person {
  name: string
  role: Role
  token: string
  userId: string
  client: ApiClient
}

/** A remote replica of a document opened from Node with a person's session, to seed and to observe. */
export interface NodeReplica {
  doc: Y.Doc
  provider: HocuspocusProvider
  settled(): Promise<void>
  destroy(): void
}

/**
 * The real api (serving the built client) and the real collab server on free ports over one fresh test database,
 * an organization with one project and a person per requested role, and Chromium.
 */
export interface WorkspaceStack {
  api: TestApiServer
  /** With `media: true`: the same api with its media pipeline, NATS and s3rver (start workers against it). */
  media: MediaTestApi | null
  collab: CollabServer
  collabUrl: string
  sql: postgres.Sql
  browser: Browser
  orgId: string
  projectId: string
  people: Record<string, Person>
  createDocument(kind: DocumentKind, title: string): Promise<string>
  replica(docId: string, person?: Person): Promise<NodeReplica>
  /** A browser context signed in as `person` (their session cookie set for the api host). */
  contextFor(person: Person): Promise<BrowserContext>
  /** Content-Security-Policy violations of every page opened through `contextFor`; a suite asserts none. */
  cspViolations: string[]
  openDocument(context: BrowserContext, docId: string): Promise<Page>
  close(): Promise<void>
}

export async function startWorkspaceStack(
  people: Record<string, Role>,
  options: { maxUpdateBytes?: number; media?: boolean; env?: Record<string, string> } = {},
): Promise<WorkspaceStack> {
  const collabPort = await freePort()
  const collabUrl = `ws://127.0.0.1:${collabPort}`
  const env = {
    CLIENT_DIST,
    COLLAB_PUBLIC_URL: collabUrl,
    RATE_LIMIT_MULTIPLIER: '100',
    BILLING_MODE: 'manual',
    ...options.env,
  }
  // with media, collab gets NATS too, so its EVENTS consumer patches worker artifacts into open timelines
  const media = options.media ? await startMediaTestApi(env) : null
  const api = media ?? (await startTestApiServer(env))
  const sql = postgres(api.databaseUrl, { max: 6, onnotice: () => {} })
  const collab = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: collabPort,
      COLLAB_MAX_UPDATE_BYTES: options.maxUpdateBytes ?? 2 * 1024 * 1024,
      COLLAB_MAX_CONNECTIONS_PER_USER: 50,
      COLLAB_SNAPSHOT_EVERY: 500,
      ...(media ? { NATS_URL: media.nats.url } : {}),
    },
    sql,
  })
  await collab.listen()
  const browser = await launchChromium()

  const signUp = async (name: string, role: Role): Promise<Person> => {
    const anon = createApiClient({ url: api.url })
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@example.test`
    const { user, token } = await anon.auth.signUp.mutate({ email, password: PASSWORD, name })
    return { name, role, token, userId: user.id, client: createApiClient({ url: api.url, token }) }
  }
  const entries = Object.entries(people)
  const ownerEntry = entries.find(([, role]) => role === 'owner') ?? entries[0]!
  const owner = await signUp(ownerEntry[0], 'owner')
  const org = await owner.client.orgs.create.mutate({ name: 'Studio' })
  // a paying studio (self-hosted plan change): these tests are about other things than the free plan's limits
  if (env.BILLING_MODE === 'manual') await owner.client.billing.setPlan.mutate({ orgId: org.id, plan: 'team' })
  const project = await owner.client.projects.create.mutate({ orgId: org.id, name: 'Launch film' })
  const all: Record<string, Person> = { [ownerEntry[0]]: owner }
  for (const [name, role] of entries) {
    if (name === ownerEntry[0]) continue
    const person = await signUp(name, role)
    const email = (await person.client.auth.me.query()) as { user?: { email: string } } | null
    await owner.client.orgs.members.add.mutate({ orgId: org.id, email: email!.user!.email, role })
    all[name] = person
  }

  const replicas = new Set<HocuspocusProvider>()
  const cspViolations: string[] = []
  const stack: WorkspaceStack = {
    cspViolations,
    api,
    media,
    collab,
    collabUrl,
    sql,
    browser,
    orgId: org.id,
    projectId: project.id,
    people: all,
    async createDocument(kind, title) {
      const created = await owner.client.documents.create.mutate({ projectId: project.id, kind, title })
      return created.id
    },
    async replica(docId, person = owner) {
      const doc = new Y.Doc()
      const socket = new HocuspocusProviderWebsocket({ url: collabUrl, WebSocketPolyfill: WebSocket })
      const provider = new HocuspocusProvider({ websocketProvider: socket, name: documentName(docId), token: person.token, document: doc })
      provider.attach()
      replicas.add(provider)
      await waitFor(() => provider.isSynced, 10_000, `replica of ${docId} to sync`)
      return {
        doc,
        provider,
        settled: () => waitFor(() => provider.unsyncedChanges === 0, 10_000, 'replica to settle'),
        destroy: () => {
          provider.destroy()
          socket.destroy()
          replicas.delete(provider)
        },
      }
    },
    async contextFor(person) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
      await context.addCookies([{ name: 'cutroom_session', value: person.token, url: api.url, httpOnly: true, sameSite: 'Lax' }])
      await watchCspViolations(context, cspViolations)
      return context
    },
    async openDocument(context, docId) {
      const page = await context.newPage()
      page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`))
      page.on('console', (m) => m.type() === 'error' && process.stderr.write(`[console] ${m.text()}\n`))
      await page.goto(`${api.url}/projects/${project.id}/docs/${docId}`)
      return page
    },
    async close() {
      for (const p of replicas) {
        p.destroy()
        p.configuration.websocketProvider.destroy()
      }
      await browser.close()
      await collab.destroy()
      await sql.end({ timeout: 2 })
      await api.close()
    },
  }
  return stack
}

/** Polls `check` until it holds; throws after `ms` with `what` in the message. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
