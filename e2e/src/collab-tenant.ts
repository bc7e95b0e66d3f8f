import { type DocumentKind, documentName, generateToken, hashToken } from '@cutroom/schema'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import type postgres from 'postgres'
import WebSocket from 'ws'
import * as Y from 'yjs'

/** An organization with one editor (session token) and one document of each requested kind, inserted directly. */
export async function seedCollabTenant(
  sql: postgres.Sql,
  kinds: DocumentKind[],
): Promise<{ token: string; userId: string; projectId: string; docIds: string[] }> {
  const [org] = await sql<{ id: string }[]>`insert into organizations (name) values ('Collab e2e') returning id`
  const [project] = await sql<
    { id: string }[]
  >`insert into projects (org_id, name) values (${org!.id}, 'p') returning id`
  const email = `editor-${generateToken(6)}@example.com`
  const [user] = await sql<{ id: string }[]>`
    insert into users (email, name, password_hash) values (${email}, 'Editor', 'x') returning id`
  await sql`insert into memberships (org_id, user_id, role) values (${org!.id}, ${user!.id}, 'editor')`
  const token = generateToken()
  await sql`insert into sessions (id, user_id, expires_at) values (${hashToken(token)}, ${user!.id}, now() + interval '1 day')`
  const docIds: string[] = []
  for (const kind of kinds) {
    const [d] = await sql<{ id: string }[]>`
      insert into documents (project_id, kind, title) values (${project!.id}, ${kind}, ${kind}) returning id`
    docIds.push(d!.id)
  }
  return { token, userId: user!.id, projectId: project!.id, docIds }
}

/** A provider on its own socket; short reconnect delays so nothing lingers after `close()`. */
export function openReplica(url: string, docId: string, token: string) {
  const socket = new HocuspocusProviderWebsocket({
    url,
    WebSocketPolyfill: WebSocket,
    delay: 50,
    minDelay: 50,
    maxDelay: 500,
  })
  const doc = new Y.Doc()
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: documentName(docId),
    token,
    document: doc,
  })
  provider.attach()
  let timer: ReturnType<typeof setTimeout> | undefined
  const synced = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${docId} did not sync`)), 10_000)
    provider.on('synced', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  // Writers that are closed before they synced never await this.
  synced.catch(() => {})
  return {
    provider,
    doc,
    synced,
    close() {
      clearTimeout(timer)
      provider.destroy()
      socket.destroy()
      // A reconnect scheduled by a close just before destroy() would call connect(), which sets shouldConnect
      // again and retries forever (provider 4.7): a destroyed socket never connects again.
      socket.connect = async () => {}
    },
  }
}

export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
