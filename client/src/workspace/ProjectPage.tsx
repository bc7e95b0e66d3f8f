import { can, type DocumentKind, type Role } from '@cutroom/schema'
import { createEffect, createMemo, createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { createStore, reconcile } from 'solid-js/store'
import { HighlightsPanel } from '../highlights'
import { api } from '../lib/api'
import { createUploadQueue, JobList, UploadDropZone } from '../media'
import { ExportsPanel } from '../exports'
import { ReviewsPanel } from '../review/ReviewsPanel'
import { AssetVersions } from './AssetVersions'
import { latestOfStacks, stackSizes, toBinAsset } from './binAsset'
import { NewVersionButton } from './NewVersionButton'
import { versionDrop } from './versionDrop'
import { createProjectPresence } from './createProjectPresence'
import { errorMessage } from './errorMessage'
import { initials } from './userColor'

const CREATABLE: { kind: DocumentKind; label: string }[] = [
  { kind: 'timeline', label: 'Timeline' },
  { kind: 'transcript', label: 'Transcript' },
  { kind: 'retell', label: 'Retell script' },
]
const KIND_ICON: Record<string, string> = { timeline: '▤', transcript: '¶', retell: '✎', qa: '◎', 'qa-workflow': '☑' }

/** A project: its assets (with upload), its documents (create and open) and who is working in them now. */
export function ProjectPage(props: { projectId: string }) {
  const [project] = createResource(
    () => props.projectId,
    (id) => api.projects.get.query({ id }),
  )
  const [documents, { refetch: refetchDocuments }] = createResource(
    () => props.projectId,
    (projectId) => api.documents.list.query({ projectId }),
  )
  const [assets, { refetch: refetchAssets }] = createResource(
    () => props.projectId,
    async (projectId) =>
      ((await api.assets.list.query({ projectId })) as unknown[]).map(toBinAsset).filter((a) => a !== null),
  )
  const [config] = createResource(() => api.system.config.query())
  const collabUrl = () => {
    const c = config()
    return c ? (c.collabUrl ?? `ws://${location.hostname}:4001`) : null
  }
  const presence = createProjectPresence(collabUrl, () =>
    (documents.latest ?? []).map((d) => ({ id: d.id, name: d.name })),
  )
  const online = createMemo(() => {
    const people = new Map<string, { name: string; color: string; docs: string[] }>()
    for (const doc of documents.latest ?? [])
      for (const user of presence().get(doc.id) ?? []) {
        const entry = people.get(user.id) ?? { name: user.name, color: user.color, docs: [] }
        entry.docs.push(doc.title)
        people.set(user.id, entry)
      }
    return [...people.values()]
  })
  const canUpload = () => {
    const role = project()?.role as Role | undefined
    return role ? can(role, 'asset.upload') : false
  }
  const uploads = createUploadQueue(
    () => props.projectId,
    () => void refetchAssets(),
  )
  // a finished job changes its asset (status, duration): the list follows without a reload
  let assetsPending: ReturnType<typeof setTimeout> | undefined
  const refetchAssetsSoon = () => {
    clearTimeout(assetsPending)
    assetsPending = setTimeout(() => void refetchAssets(), 600)
  }
  onCleanup(() => clearTimeout(assetsPending))
  // Each asset keeps one object across refetches (reconciled by id), so a row, and an open Highlights panel in
  // it, stays mounted while its jobs finish and the list is read again.
  const [binAssets, setBinAssets] = createStore<NonNullable<typeof assets.latest>>([])
  createEffect(() => {
    const list = assets.latest
    if (list) setBinAssets(reconcile(list, { key: 'id' }))
  })
  const stacks = createMemo(() => latestOfStacks(binAssets))
  const sizes = createMemo(() => stackSizes(binAssets))
  const canReview = () => {
    const role = project()?.role as Role | undefined
    return role ? can(role, 'qa.review') : false
  }
  const canDiscover = () => {
    const role = project()?.role as Role | undefined
    return role ? can(role, 'job.dispatch') : false
  }
  const writableTimelines = () =>
    (documents.latest ?? [])
      .filter((d) => d.kind === 'timeline' && d.access === 'write')
      .map((d) => ({ id: d.id, title: d.title }))
  const [highlightsOf, setHighlightsOf] = createSignal<string | null>(null)
  const canCreate = () => {
    const role = project()?.role as Role | undefined
    return role ? can(role, 'document.create') : false
  }

  const [kind, setKind] = createSignal<DocumentKind>('timeline')
  const [title, setTitle] = createSignal('')
  const [createError, setCreateError] = createSignal<string | null>(null)
  const [creating, setCreating] = createSignal(false)
  const create = async (e: Event) => {
    e.preventDefault()
    setCreateError(null)
    setCreating(true)
    try {
      const name = title().trim() || `Untitled ${CREATABLE.find((c) => c.kind === kind())?.label.toLowerCase()}`
      const created = await api.documents.create.mutate({ projectId: props.projectId, kind: kind(), title: name })
      setTitle('')
      void refetchDocuments()
      window.location.assign(`/projects/${props.projectId}/docs/${created.id}`)
    } catch (error) {
      setCreateError(errorMessage(error))
    } finally {
      setCreating(false)
    }
  }

  return (
    <div class="project-page">
      <Show when={project.error}>
        <div class="fatal" role="alert">
          <h2>This project could not be opened</h2>
          <p>{errorMessage(project.error)}</p>
        </div>
      </Show>
      <header class="project-header">
        <div>
          <h1>{project()?.name ?? 'Project'}</h1>
          <span class="muted small">
            {project() ? `${project()!.fpsNum}/${project()!.fpsDen} fps · you are ${project()!.role}` : ''}
          </span>
        </div>
        <div class="online" data-testid="project-online">
          <span class="muted small">Online now</span>
          <For each={online()} fallback={<span class="muted small">nobody in a document</span>}>
            {(person) => (
              <span
                class="avatar"
                style={{ 'background-color': person.color }}
                title={`${person.name} — ${person.docs.join(', ')}`}
              >
                {initials(person.name)}
              </span>
            )}
          </For>
        </div>
      </header>
      <div class="project-columns">
        <section class="panel">
          <header class="panel-head">
            <span>Documents</span>
          </header>
          <Show when={canCreate()}>
            <form class="create-doc" onSubmit={create}>
              <select value={kind()} onChange={(e) => setKind(e.currentTarget.value as DocumentKind)} aria-label="Kind">
                <For each={CREATABLE}>{(c) => <option value={c.kind}>{c.label}</option>}</For>
              </select>
              <input
                placeholder="Title"
                value={title()}
                maxLength={200}
                onInput={(e) => setTitle(e.currentTarget.value)}
                aria-label="Title"
                data-testid="new-document-title"
              />
              <button type="submit" class="primary" disabled={creating()}>
                Create
              </button>
            </form>
          </Show>
          <Show when={createError()}>
            <p class="error">{createError()}</p>
          </Show>
          <ul class="doc-list">
            <For each={documents.latest ?? []} fallback={<li class="muted empty">No documents yet.</li>}>
              {(doc) => (
                <li>
                  <a href={`/projects/${props.projectId}/docs/${doc.id}`} data-testid="document-link">
                    <span class="doc-icon">{KIND_ICON[doc.kind] ?? '•'}</span>
                    <span class="doc-name">{doc.title}</span>
                    <span class="muted small">{doc.kind}</span>
                    <span class="doc-people">
                      <For each={presence().get(doc.id) ?? []}>
                        {(user) => (
                          <span class="avatar tiny" style={{ 'background-color': user.color }} title={user.name}>
                            {initials(user.name)}
                          </span>
                        )}
                      </For>
                    </span>
                    <Show when={doc.access === 'read'}>
                      <span class="badge">read only</span>
                    </Show>
                  </a>
                </li>
              )}
            </For>
          </ul>
          <ReviewsPanel projectId={props.projectId} canCreate={canReview()} />
          <header class="panel-head sub">
            <span>Exports</span>
          </header>
          <ExportsPanel projectId={props.projectId} />
        </section>
        <section class="panel">
          <header class="panel-head">
            <span>Assets</span>
            <span class="muted">{stacks().length}</span>
          </header>
          <UploadDropZone projectId={props.projectId} disabled={!canUpload()} queue={uploads} />
          <Show when={assets.error}>
            <p class="error">{errorMessage(assets.error)}</p>
          </Show>
          <ul class="asset-list">
            <For each={stacks()} fallback={<li class="muted empty">No assets yet.</li>}>
              {(asset) => {
                const [over, setOver] = createSignal(false)
                return (
                  <li
                    class="asset-row"
                    classList={{ 'drop-over': over() }}
                    data-testid="asset-item"
                    data-asset-id={asset.id}
                    data-version={asset.version}
                    {...versionDrop(() => asset, canUpload() ? uploads : null, setOver)}
                  >
                    <div class="asset-row-main">
                      <span class="doc-icon">{asset.contentType.startsWith('audio') ? '♪' : '▦'}</span>
                      <span class="doc-name">{asset.name}</span>
                      <span class="muted small">
                        {asset.durationSeconds !== null ? `${asset.durationSeconds.toFixed(1)} s` : asset.status}
                      </span>
                      <Show when={canUpload()}>
                        <NewVersionButton asset={asset} queue={uploads} />
                      </Show>
                      <Show when={['uploaded', 'processing', 'ready'].includes(asset.status)}>
                        <button
                          type="button"
                          class="ghost small"
                          aria-expanded={highlightsOf() === asset.id}
                          data-testid="open-highlights"
                          title="Find the best clips of this asset, ranked and explained"
                          onClick={() => setHighlightsOf(highlightsOf() === asset.id ? null : asset.id)}
                        >
                          Highlights
                        </button>
                      </Show>
                    </div>
                    <AssetVersions
                      asset={asset}
                      count={sizes().get(asset.stackId) ?? 1}
                      revision={sizes().get(asset.stackId)}
                    />
                    <Show when={highlightsOf() === asset.id}>
                      <HighlightsPanel
                        projectId={props.projectId}
                        asset={asset}
                        canEdit={canDiscover()}
                        timelines={writableTimelines()}
                      />
                    </Show>
                  </li>
                )
              }}
            </For>
          </ul>
          <header class="panel-head sub">
            <span>Processing</span>
          </header>
          <JobList
            projectId={props.projectId}
            canDispatch={canUpload()}
            limit={20}
            onFinished={(u) => u.assetId && refetchAssetsSoon()}
          />
        </section>
      </div>
    </div>
  )
}
