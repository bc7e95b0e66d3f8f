import type { DocumentKind } from '@cutroom/schema'
import { createResource, Match, Show, Switch } from 'solid-js'
import { api } from '../lib/api'
import { toBinAsset } from './binAsset'
import { DocumentSession } from './DocumentSession'
import { errorMessage } from './errorMessage'

/**
 * The workspace of one document. Keyed on the document: following a link from one document to another (Assemble
 * timeline opens the new timeline) closes the first session and opens a new one, rather than reusing the editor.
 */
export function DocumentPage(props: { projectId: string; documentId: string }) {
  return (
    <Show when={props.documentId} keyed>
      {(documentId) => <DocumentWorkspace projectId={props.projectId} documentId={documentId} />}
    </Show>
  )
}

/** Loads the document's row, the collab address and the person, then opens the session. */
function DocumentWorkspace(props: { projectId: string; documentId: string }) {
  const [info] = createResource(
    () => props.documentId,
    async (id) => {
      const [document, config, me] = await Promise.all([
        api.documents.get.query({ id }),
        api.system.config.query(),
        api.auth.me.query(),
      ])
      return { document, config, me }
    },
  )
  // Read with `.latest` below: a refetch must not suspend (and unmount) the open editor.
  const [assets, { refetch: refetchAssets }] = createResource(
    () => props.projectId,
    async (projectId) => {
      try {
        const rows = (await api.assets.list.query({ projectId })) as unknown[]
        return rows.map(toBinAsset).filter((a) => a !== null)
      } catch {
        return []
      }
    },
  )

  return (
    <div class="workspace-page">
      <Switch>
        <Match when={info.error}>
          <div class="fatal" role="alert" data-testid="document-error">
            <h2>This document could not be opened</h2>
            <p>{errorMessage(info.error)}</p>
            <a class="button" href={`/projects/${props.projectId}`}>
              Back to the project
            </a>
          </div>
        </Match>
        <Match when={info()}>
          {(loaded) => (
            <Show
              when={loaded().me?.kind === 'user' ? loaded().me : null}
              fallback={
                <div class="fatal" role="alert">
                  <h2>Sign in to open this document</h2>
                  <a class="button" href="/">
                    Sign in
                  </a>
                </div>
              }
            >
              {(me) => (
                <DocumentSession
                  projectId={props.projectId}
                  documentId={props.documentId}
                  title={loaded().document.title}
                  kind={loaded().document.kind as DocumentKind}
                  name={loaded().document.name}
                  access={loaded().document.access}
                  role={loaded().document.role}
                  collabUrl={loaded().config.collabUrl ?? `ws://${location.hostname}:4001`}
                  user={personOf(me())}
                  assets={() => assets.latest ?? []}
                  refetchAssets={() => void refetchAssets()}
                />
              )}
            </Show>
          )}
        </Match>
        <Match when={info.loading}>
          <div class="loading">Opening document…</div>
        </Match>
      </Switch>
    </div>
  )
}

function personOf(me: unknown): { id: string; name: string } {
  const user = (me as { user?: { id?: string; name?: string; email?: string } }).user ?? {}
  return { id: user.id ?? 'unknown', name: user.name || user.email || 'Someone' }
}
