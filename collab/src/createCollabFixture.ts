import { createTestDatabase, type TestDatabase } from '@cutroom/infra'
import {
  DOCUMENT_KINDS,
  type DocumentKind,
  documentName,
  generateToken,
  hashToken,
  ROLES,
  type Role,
} from '@cutroom/schema'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import pino from 'pino'
import postgres from 'postgres'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { type CollabServer, type CollabServerConfig, createCollabServer } from './createCollabServer'

/** A seeded tenant for collab tests: one person and one API key per role, one document per kind. */
export interface CollabFixture {
  db: TestDatabase
  sql: postgres.Sql
  collab: CollabServer
  url: string
  orgId: string
  projectId: string
  /** Session token of a member with each role. */
  sessions: Record<Role, string>
  userIds: Record<Role, string>
  /** API key (`crk_…`) of each role. */
  apiKeys: Record<Role, string>
  /** One document of each kind in the project. */
  docs: Record<DocumentKind, string>
  /** A timeline of another organization, and the session of that organization's owner. */
  otherTenant: { docId: string; session: string }
  connect(docId: string, token: string, options?: { document?: Y.Doc }): Promise<Connected>
  /** Opens a provider and resolves with how it ended: synced, or the close code it got. */
  attempt(
    docId: string,
    token: string,
  ): Promise<{ synced: boolean; code?: number; reason?: string; readOnly?: boolean }>
  /** Stops the collab server and starts a new one on the same database (a clean restart). */
  restart(): Promise<void>
  close(): Promise<void>
}

export interface Connected {
  provider: HocuspocusProvider
  doc: Y.Doc
  /** Resolves when the provider has no unacknowledged change. */
  settled(): Promise<void>
  destroy(): void
}

export async function createCollabFixture(overrides: Partial<CollabServerConfig> = {}): Promise<CollabFixture> {
  const db = await createTestDatabase()
  const sql = postgres(db.url, { max: 8, onnotice: () => {} })
  const seeded = await seed(sql)
  const start = async () => {
    const server = createCollabServer({
      config: {
        COLLAB_HOST: '127.0.0.1',
        COLLAB_PORT: 0,
        COLLAB_MAX_UPDATE_BYTES: 64 * 1024,
        COLLAB_MAX_CONNECTIONS_PER_USER: 20,
        COLLAB_SNAPSHOT_EVERY: 500,
        ...overrides,
      },
      sql,
      log: pino({ level: 'silent' }),
    })
    const { url } = await server.listen()
    return { server, url }
  }
  let { server: collab, url } = await start()
  const providers = new Set<HocuspocusProvider>()

  const connect = async (docId: string, token: string, options: { document?: Y.Doc } = {}): Promise<Connected> => {
    const doc = options.document ?? new Y.Doc()
    const provider = openProvider(url, documentName(docId), token, doc)
    providers.add(provider)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`provider for ${docId} did not sync`)), 5000)
      provider.on('synced', () => {
        clearTimeout(timer)
        resolve()
      })
      provider.on('authenticationFailed', ({ reason }: { reason: string }) => {
        clearTimeout(timer)
        reject(new Error(`authentication failed: ${reason}`))
      })
    })
    return {
      provider,
      doc,
      settled: () => waitFor(() => provider.unsyncedChanges === 0, 5000),
      destroy: () => {
        provider.destroy()
        providers.delete(provider)
      },
    }
  }

  const attempt = (docId: string, token: string) =>
    new Promise<{ synced: boolean; code?: number; reason?: string; readOnly?: boolean }>((resolve) => {
      const provider = openProvider(url, docId.includes(':') ? docId : documentName(docId), token, new Y.Doc())
      let reason: string | undefined
      const done = (result: { synced: boolean; code?: number; reason?: string; readOnly?: boolean }) => {
        clearTimeout(timer)
        provider.destroy()
        resolve(result)
      }
      const timer = setTimeout(() => done({ synced: false, reason: reason ?? 'timeout' }), 5000)
      provider.on('authenticationFailed', (e: { reason: string }) => {
        reason = e.reason
      })
      provider.on('close', ({ event }: { event: { code: number } }) =>
        done({ synced: false, code: event.code, reason }),
      )
      provider.on('synced', () => done({ synced: true, readOnly: provider.authorizedScope === 'readonly' }))
    })

  const fixture: CollabFixture = {
    db,
    sql,
    collab,
    url,
    ...seeded,
    connect,
    attempt,
    async restart() {
      for (const p of providers) p.destroy()
      providers.clear()
      await collab.destroy()
      ;({ server: collab, url } = await start())
      fixture.collab = collab
      fixture.url = url
    },
    async close() {
      for (const p of providers) p.destroy()
      await collab.destroy()
      await sql.end({ timeout: 2 })
      await db.drop()
    },
  }
  return fixture
}

/** A provider on its own socket (Node has no global WebSocket for the provider: `ws` is passed in). */
export function openProvider(url: string, name: string, token: string, document: Y.Doc): HocuspocusProvider {
  const websocketProvider = new HocuspocusProviderWebsocket({
    url,
    WebSocketPolyfill: WebSocket,
    delay: 50,
    minDelay: 50,
    maxDelay: 500,
  })
  const provider = new HocuspocusProvider({ websocketProvider, name, token, document })
  provider.attach()
  const destroy = provider.destroy.bind(provider)
  provider.destroy = () => {
    destroy()
    websocketProvider.destroy()
    // A reconnect scheduled by a close just before destroy() would call connect(), which sets shouldConnect
    // again and retries forever (provider 4.7): a destroyed socket never connects again.
    websocketProvider.connect = async () => {}
  }
  return provider
}

/** Polls `check` until it holds; rejects after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function seed(sql: postgres.Sql) {
  const [org] = await sql<{ id: string }[]>`insert into organizations (name) values ('Studio') returning id`
  const orgId = org!.id
  const [project] = await sql<
    { id: string }[]
  >`insert into projects (org_id, name) values (${orgId}, 'Film') returning id`
  const projectId = project!.id
  const sessions = {} as Record<Role, string>
  const userIds = {} as Record<Role, string>
  const apiKeys = {} as Record<Role, string>
  for (const role of ROLES) {
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, name, password_hash) values (${`${role}@example.com`}, ${`The ${role}`}, 'x') returning id`
    userIds[role] = user!.id
    await sql`insert into memberships (org_id, user_id, role) values (${orgId}, ${user!.id}, ${role})`
    sessions[role] = await createSession(sql, user!.id)
    const keyId = generateToken(8)
    const secret = generateToken(20)
    await sql`insert into api_keys (id, org_id, name, role, secret_hash)
      values (${keyId}, ${orgId}, ${`${role} key`}, ${role}, ${hashToken(secret)})`
    apiKeys[role] = `crk_${keyId}_${secret}`
  }
  const docs = {} as Record<DocumentKind, string>
  for (const kind of DOCUMENT_KINDS) {
    const [doc] = await sql<{ id: string }[]>`
      insert into documents (project_id, kind, title) values (${projectId}, ${kind}, ${kind}) returning id`
    docs[kind] = doc!.id
  }
  const [otherOrg] = await sql<{ id: string }[]>`insert into organizations (name) values ('Other') returning id`
  const [otherProject] = await sql<
    { id: string }[]
  >`insert into projects (org_id, name) values (${otherOrg!.id}, 'X') returning id`
  const [otherDoc] = await sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${otherProject!.id}, 'timeline', 'theirs') returning id`
  const [otherUser] = await sql<{ id: string }[]>`
    insert into users (email, name, password_hash) values ('other@example.com', 'Other', 'x') returning id`
  await sql`insert into memberships (org_id, user_id, role) values (${otherOrg!.id}, ${otherUser!.id}, 'owner')`
  const otherSession = await createSession(sql, otherUser!.id)
  return {
    orgId,
    projectId,
    sessions,
    userIds,
    apiKeys,
    docs,
    otherTenant: { docId: otherDoc!.id, session: otherSession },
  }
}

export async function createSession(sql: postgres.Sql, userId: string, expiresInMs = 3600_000): Promise<string> {
  const token = generateToken()
  await sql`insert into sessions (id, user_id, expires_at) values (${hashToken(token)}, ${userId}, ${new Date(Date.now() + expiresInMs)})`
  return token
}
