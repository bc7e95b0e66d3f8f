import { can } from '@cutroom/schema'
import { createEffect, createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentOrg } from '../lib/session'
import './brandKits.css'

type Settings = Parameters<typeof api.brandKits.update.mutate>[0]['settings']
type Purpose = 'logo' | 'watermark' | 'font' | 'intro' | 'outro'
type Position = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'

const EMPTY: Required<Settings> = {
  logoFileId: null,
  watermark: null,
  fonts: [],
  colors: null,
  captionStyle: null,
  introFileId: null,
  outroFileId: null,
}
const ACCEPT: Record<Purpose, string> = {
  logo: 'image/png,image/jpeg,image/webp',
  watermark: 'image/png,image/jpeg,image/webp',
  font: '.ttf,.otf,font/ttf,font/otf',
  intro: 'image/png,image/jpeg,image/webp,video/mp4,video/quicktime,video/webm',
  outro: 'image/png,image/jpeg,image/webp,video/mp4,video/quicktime,video/webm',
}
const POSITIONS: Position[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right']
const when = (d: string | Date) => new Date(d).toLocaleString()

/** Uploads one file the way media goes up: a presigned PUT straight to storage, then the server checks the bytes. */
async function uploadBrandFile(orgId: string, purpose: Purpose, file: File) {
  const started = await api.brandKits.createUpload.mutate({
    orgId,
    purpose,
    filename: file.name,
    size: file.size,
    contentType: file.type,
  })
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: file })
  if (!put.ok) throw new Error(`Storage refused the upload of "${file.name}" (HTTP ${put.status}). Try again.`)
  const done = await api.brandKits.completeUpload.mutate({ fileId: started.fileId })
  return { fileId: done.fileId, filename: done.filename }
}

/** One file slot: the file it holds, and (for those who may edit) a picker that uploads a replacement. */
function FileSlot(props: {
  label: string
  purpose: Purpose
  fileId: string | null
  names: Record<string, string>
  disabled: boolean
  onChange: (file: { fileId: string; filename: string } | null) => void
  onError: (message: string) => void
}) {
  const [busy, setBusy] = createSignal(false)
  const pick = async (input: HTMLInputElement) => {
    const file = input.files?.[0]
    if (!file) return
    setBusy(true)
    try {
      props.onChange(await uploadBrandFile(currentOrg()!.id, props.purpose, file))
    } catch (err) {
      props.onError(apiErrorMessage(err))
    } finally {
      setBusy(false)
      input.value = ''
    }
  }
  return (
    <div class="brand-slot" data-slot={props.purpose}>
      <span class="brand-slot-label">{props.label}</span>
      <span class="brand-slot-file" data-testid={`slot-${props.purpose}`}>
        {busy() ? 'Uploading…' : props.fileId ? (props.names[props.fileId] ?? 'uploaded file') : 'none'}
      </span>
      <Show when={!props.disabled}>
        <label class="button small">
          {props.fileId ? 'Replace' : 'Upload'}
          <input
            type="file"
            accept={ACCEPT[props.purpose]}
            aria-label={`Upload ${props.label.toLowerCase()}`}
            hidden
            onChange={(e) => void pick(e.currentTarget)}
          />
        </label>
        <Show when={props.fileId}>
          <button type="button" class="small ghost" onClick={() => props.onChange(null)}>
            Remove
          </button>
        </Show>
      </Show>
    </div>
  )
}

/** One kit: every setting, saved as a new version; the versions kept so far. */
function BrandKitEditor(props: { id: string; canManage: boolean; onChanged: () => void; onDeleted: () => void }) {
  const [kit, { refetch }] = createResource(
    () => props.id,
    (id) => api.brandKits.get.query({ id }),
  )
  const [versions, { refetch: refetchVersions }] = createResource(
    () => props.id,
    (id) => api.brandKits.versions.query({ id }),
  )
  const [name, setName] = createSignal('')
  const [draft, setDraft] = createSignal<Required<Settings>>(EMPTY)
  const [names, setNames] = createSignal<Record<string, string>>({})
  const [fontFamily, setFontFamily] = createSignal('')
  const [status, setStatus] = createSignal<string | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  createEffect(() => {
    const k = kit()
    if (!k) return
    setName(k.name)
    setDraft({ ...EMPTY, ...k.settings })
    setNames(Object.fromEntries(k.files.map((f) => [f.id, f.filename])))
  })
  const patch = (p: Partial<Required<Settings>>) => setDraft((d) => ({ ...d, ...p }))
  const remember = (file: { fileId: string; filename: string } | null) => {
    if (file) setNames((n) => ({ ...n, [file.fileId]: file.filename }))
    return file?.fileId ?? null
  }
  const disabled = () => !props.canManage
  const onError = (message: string) => {
    setStatus(null)
    setError(message)
  }

  const save = async (e: Event) => {
    e.preventDefault()
    setError(null)
    try {
      const saved = await api.brandKits.update.mutate({
        id: props.id,
        name: name(),
        settings: draft(),
        baseVersion: kit()!.version,
      })
      setStatus(`Saved as version ${saved.version}.`)
      await Promise.all([refetch(), refetchVersions()])
      props.onChanged()
    } catch (err) {
      onError(apiErrorMessage(err))
    }
  }
  const remove = async () => {
    if (!window.confirm(`Delete the brand kit “${kit()!.name}”? Exports made with it keep the version they used.`))
      return
    try {
      await api.brandKits.delete.mutate({ id: props.id })
      props.onDeleted()
    } catch (err) {
      onError(apiErrorMessage(err))
    }
  }
  const addFont = async (input: HTMLInputElement) => {
    const file = input.files?.[0]
    input.value = ''
    if (!file) return
    const family = fontFamily().trim() || file.name.replace(/\.[^.]+$/, '')
    setError(null)
    try {
      const up = await uploadBrandFile(currentOrg()!.id, 'font', file)
      remember(up)
      patch({ fonts: [...draft().fonts.filter((f) => f.family !== family), { family, fileId: up.fileId }] })
      setFontFamily('')
    } catch (err) {
      onError(apiErrorMessage(err))
    }
  }
  const colors = () => draft().colors ?? { primary: '#5b8cff', secondary: '#1b1d22', text: '#ffffff' }

  return (
    <Show when={kit()} fallback={<p class="loading">Loading…</p>}>
      <form class="panel brand-kit-editor" onSubmit={save} aria-label="Brand kit">
        <div class="page-head">
          <input
            name="kitName"
            aria-label="Brand kit name"
            value={name()}
            maxLength={120}
            required
            disabled={disabled()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <span class="muted" data-testid="kit-version">
            Version {kit()!.version}
          </span>
        </div>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <Show when={status()}>
          <p class="muted" role="status">
            {status()}
          </p>
        </Show>
        <FileSlot
          label="Logo"
          purpose="logo"
          fileId={draft().logoFileId}
          names={names()}
          disabled={disabled()}
          onError={onError}
          onChange={(f) => patch({ logoFileId: remember(f) })}
        />
        <FileSlot
          label="Watermark"
          purpose="watermark"
          fileId={draft().watermark?.fileId ?? null}
          names={names()}
          disabled={disabled()}
          onError={onError}
          onChange={(f) => {
            const fileId = remember(f)
            patch({
              watermark: fileId ? { position: 'bottom-right', opacity: 0.8, ...draft().watermark, fileId } : null,
            })
          }}
        />
        <Show when={draft().watermark}>
          {(w) => (
            <div class="brand-row">
              <label>
                Position{' '}
                <select
                  name="watermarkPosition"
                  value={w().position}
                  disabled={disabled()}
                  onChange={(e) => patch({ watermark: { ...w(), position: e.currentTarget.value as Position } })}
                >
                  <For each={POSITIONS}>{(p) => <option value={p}>{p.replace('-', ' ')}</option>}</For>
                </select>
              </label>
              <label>
                Opacity{' '}
                <input
                  name="watermarkOpacity"
                  type="range"
                  min="5"
                  max="100"
                  value={Math.round(w().opacity * 100)}
                  disabled={disabled()}
                  onInput={(e) => patch({ watermark: { ...w(), opacity: Number(e.currentTarget.value) / 100 } })}
                />{' '}
                {Math.round(w().opacity * 100)}%
              </label>
            </div>
          )}
        </Show>
        <fieldset class="brand-fonts">
          <legend>Fonts</legend>
          <ul>
            <For each={draft().fonts} fallback={<li class="muted">No fonts: captions use the default font.</li>}>
              {(f) => (
                <li data-testid="brand-font">
                  <strong>{f.family}</strong> <span class="muted">{names()[f.fileId] ?? ''}</span>
                  <Show when={!disabled()}>
                    <button
                      type="button"
                      class="small ghost"
                      onClick={() => patch({ fonts: draft().fonts.filter((x) => x.family !== f.family) })}
                    >
                      Remove
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
          <Show when={!disabled()}>
            <div class="brand-row">
              <input
                name="fontFamily"
                placeholder="Family name (from the file if empty)"
                maxLength={100}
                value={fontFamily()}
                onInput={(e) => setFontFamily(e.currentTarget.value)}
              />
              <label class="button small">
                Upload font
                <input
                  type="file"
                  accept={ACCEPT.font}
                  aria-label="Upload font"
                  hidden
                  onChange={(e) => void addFont(e.currentTarget)}
                />
              </label>
            </div>
          </Show>
        </fieldset>
        <fieldset class="brand-colors">
          <legend>
            <label>
              <input
                type="checkbox"
                name="useColors"
                checked={draft().colors !== null}
                disabled={disabled()}
                onChange={(e) => patch({ colors: e.currentTarget.checked ? colors() : null })}
              />{' '}
              Colours
            </label>
          </legend>
          <Show when={draft().colors}>
            <div class="brand-row">
              <For each={['primary', 'secondary', 'text'] as const}>
                {(key) => (
                  <label>
                    {key}{' '}
                    <input
                      type="color"
                      name={`color-${key}`}
                      value={colors()[key]}
                      disabled={disabled()}
                      onInput={(e) => patch({ colors: { ...colors(), [key]: e.currentTarget.value } })}
                    />
                  </label>
                )}
              </For>
            </div>
          </Show>
        </fieldset>
        <label class="brand-row">
          Caption style{' '}
          <select
            name="captionStyle"
            value={draft().captionStyle ?? ''}
            disabled={disabled()}
            onChange={(e) => patch({ captionStyle: (e.currentTarget.value || null) as Settings['captionStyle'] })}
          >
            <option value="">Not set</option>
            <option value="clean">Clean</option>
            <option value="bold">Bold</option>
            <option value="karaoke">Karaoke (active word highlighted)</option>
          </select>
        </label>
        <FileSlot
          label="Intro slate"
          purpose="intro"
          fileId={draft().introFileId}
          names={names()}
          disabled={disabled()}
          onError={onError}
          onChange={(f) => patch({ introFileId: remember(f) })}
        />
        <FileSlot
          label="Outro slate"
          purpose="outro"
          fileId={draft().outroFileId}
          names={names()}
          disabled={disabled()}
          onError={onError}
          onChange={(f) => patch({ outroFileId: remember(f) })}
        />
        <Show when={props.canManage}>
          <div class="brand-row">
            <button class="primary" type="submit">
              Save as a new version
            </button>
            <button type="button" class="ghost" onClick={() => void remove()}>
              Delete kit
            </button>
          </div>
        </Show>
      </form>
      <div class="panel brand-versions">
        <h3>Versions</h3>
        <table class="data-table" aria-label="Versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Name</th>
              <th>Caption style</th>
              <th>Saved by</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            <For each={versions()}>
              {(v) => (
                <tr data-testid="kit-version-row">
                  <td class="mono">
                    v{v.version}
                    {v.current ? ' (current)' : ''}
                  </td>
                  <td>{v.name}</td>
                  <td>{v.settings.captionStyle ?? '—'}</td>
                  <td>{v.createdByName ?? (v.createdByApiKey ? 'API key' : '—')}</td>
                  <td class="muted small">{when(v.createdAt)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  )
}

/** The organization's brand kits: everyone sees them; owners, admins and editors create and change them. */
export function BrandKitsPage() {
  const [kits, { refetch }] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.brandKits.list.query({ orgId }),
  )
  const canManage = () => {
    const org = currentOrg()
    return org ? can(org.role, 'brandKit.manage') : false
  }
  const [selected, setSelected] = createSignal<string | null>(null)
  const [newName, setNewName] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const create = async (e: Event) => {
    e.preventDefault()
    setError(null)
    try {
      const kit = await api.brandKits.create.mutate({ orgId: currentOrg()!.id, name: newName() })
      setNewName('')
      await refetch()
      setSelected(kit.id)
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }
  return (
    <section class="page">
      <div class="page-head">
        <h1>Brand kits</h1>
        <span class="muted">
          {currentOrg()?.name} · logo, watermark, fonts, colours, captions and slates for exports
        </span>
      </div>
      <Show when={canManage()}>
        <form class="inline-form" onSubmit={create}>
          <input
            name="newKitName"
            placeholder="New brand kit name"
            aria-label="New brand kit name"
            maxLength={120}
            required
            value={newName()}
            onInput={(e) => setNewName(e.currentTarget.value)}
          />
          <button class="primary" type="submit">
            Create brand kit
          </button>
        </form>
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <table class="data-table" aria-label="Brand kits">
        <thead>
          <tr>
            <th>Name</th>
            <th>Version</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={kits()}
            fallback={
              <tr>
                <td colSpan={3} class="muted">
                  No brand kits yet.
                </td>
              </tr>
            }
          >
            {(k) => (
              <tr classList={{ selected: selected() === k.id }}>
                <td>
                  <button type="button" class="link" onClick={() => setSelected(k.id)}>
                    {k.name}
                  </button>
                </td>
                <td class="mono">v{k.version}</td>
                <td class="muted small">{when(k.updatedAt)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={selected()} keyed>
        {(id) => (
          <BrandKitEditor
            id={id}
            canManage={canManage()}
            onChanged={() => void refetch()}
            onDeleted={() => {
              setSelected(null)
              void refetch()
            }}
          />
        )}
      </Show>
    </section>
  )
}
