import { can } from '@cutroom/schema'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { navigate } from '../lib/router'
import { currentOrg } from '../lib/session'
import { CreateOrgForm } from './CreateOrgForm'

/** 30000/1001 reads as 29.97, 30/1 as 30. */
function frameRate(num: number, den: number): string {
  return String(Math.round((num / den) * 100) / 100)
}

/** The current organization's projects; editors and above create new ones. */
export function ProjectsPage() {
  const [projects, { refetch }] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.projects.list.query({ orgId }),
  )
  const [name, setName] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const canCreate = () => {
    const org = currentOrg()
    return org ? can(org.role, 'project.create') : false
  }
  const create = async (e: Event) => {
    e.preventDefault()
    const org = currentOrg()
    if (!org) return
    setError(null)
    setBusy(true)
    try {
      const project = await api.projects.create.mutate({ orgId: org.id, name: name() })
      setName('')
      await refetch()
      navigate(`/projects/${project.id}`)
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Show
      when={currentOrg()}
      fallback={
        <section class="page narrow">
          <h1>Welcome to Cutroom</h1>
          <p class="muted">Create an organization for your team. You can invite people once it exists.</p>
          <CreateOrgForm />
        </section>
      }
    >
      {(org) => (
        <section class="page">
          <div class="page-head">
            <h1>Projects</h1>
            <span class="muted">
              {org().name} · you are {org().role}
            </span>
          </div>
          <Show when={canCreate()}>
            <form class="inline-form" onSubmit={create}>
              <input
                name="projectName"
                placeholder="New project name"
                required
                maxLength={120}
                value={name()}
                onInput={(e) => setName(e.currentTarget.value)}
              />
              <button class="primary" type="submit" disabled={busy()}>
                Create project
              </button>
            </form>
          </Show>
          <Show when={error()}>
            <p class="error" role="alert">
              {error()}
            </p>
          </Show>
          <Show when={projects.error}>
            <p class="error" role="alert">
              {apiErrorMessage(projects.error)}
            </p>
          </Show>
          <ul class="project-list" aria-label="Projects">
            <For
              each={projects()}
              fallback={<li class="muted empty">{projects.loading ? 'Loading…' : 'No projects yet.'}</li>}
            >
              {(p) => (
                <li>
                  <a href={`/projects/${p.id}`}>
                    <span class="project-name">{p.name}</span>
                    <span class="muted small">
                      {frameRate(p.fpsNum, p.fpsDen)} fps · {p.sampleRate / 1000} kHz ·{' '}
                      {new Date(p.createdAt).toLocaleDateString()}
                    </span>
                  </a>
                </li>
              )}
            </For>
          </ul>
        </section>
      )}
    </Show>
  )
}
