import {
  createEffect,
  createResource,
  ErrorBoundary,
  type JSX,
  lazy,
  Match,
  on,
  onCleanup,
  onMount,
  Show,
  Suspense,
  Switch,
} from 'solid-js'
import { api, apiErrorMessage } from './lib/api'
import { matchPath, navigate, pathname, startRouter } from './lib/router'
import { currentOrg, currentUser, loadSession, orgs, selectOrg } from './lib/session'
import { AccountPage } from './pages/AccountPage'
import { ApiKeysPage } from './pages/ApiKeysPage'
import { AppShell } from './pages/AppShell'
import { AuditPage } from './pages/AuditPage'
import { BillingPage } from './pages/BillingPage'
import { BrandKitsPage } from './pages/BrandKitsPage'
import { CreateOrgPage } from './pages/CreateOrgPage'
import { ForgotPasswordPage } from './pages/ForgotPasswordPage'
import { MembersPage } from './pages/MembersPage'
import { MyFindingsPage } from './pages/MyFindingsPage'
import { ProjectsPage } from './pages/ProjectsPage'
import { ResetPasswordPage } from './pages/ResetPasswordPage'
import { SignInPage } from './pages/SignInPage'
import { SignUpPage } from './pages/SignUpPage'
import { WebhooksPage } from './pages/WebhooksPage'
import './pages/pages.css'
import { GuestJoinPage, joinedAsGuest } from './review/GuestJoinPage'

// The editors are large; sign-in and the project list load without them.
const ProjectPage = lazy(() => import('./workspace').then((m) => ({ default: m.ProjectPage })))
const DocumentPage = lazy(() => import('./workspace').then((m) => ({ default: m.DocumentPage })))
const ReviewPage = lazy(() => import('./review').then((m) => ({ default: m.ReviewPage })))

const PUBLIC = ['/signin', '/signup', '/forgot-password']

/** Sends signed-out people to sign in (and back here afterwards). */
function RequireUser(props: { children: JSX.Element }) {
  return (
    <Show when={currentUser()} fallback={<Redirect to={`/signin?next=${encodeURIComponent(pathname())}`} />}>
      {props.children}
    </Show>
  )
}

function Redirect(props: { to: string }) {
  onMount(() => navigate(props.to, { replace: true }))
  return null
}

/** Shows a page's unhandled error (a failed load, a missing project) in place, and clears it on navigation. */
function RouteBoundary(props: { children: JSX.Element }) {
  return (
    <ErrorBoundary
      fallback={(error, reset) => {
        createEffect(on(pathname, () => reset(), { defer: true }))
        return (
          <section class="page narrow fatal" role="alert">
            <h2>This page could not be opened</h2>
            <p>{apiErrorMessage(error)}</p>
            <a href="/">Back to your projects</a>
          </section>
        )
      }}
    >
      {props.children}
    </ErrorBoundary>
  )
}

/** Opening a project of another of the person's organizations switches the top bar to that organization. */
function FollowProjectOrg(props: { projectId: string }) {
  createEffect(
    on(
      () => props.projectId,
      async (id) => {
        const project = await api.projects.get.query({ id }).catch(() => null)
        if (project && project.orgId !== currentOrg()?.id && orgs().some((o) => o.id === project.orgId)) {
          selectOrg(project.orgId)
        }
      },
    ),
  )
  return null
}

function NeedsOrg(props: { children: JSX.Element }) {
  return (
    <Show when={currentOrg()} fallback={<ProjectsPage />}>
      {props.children}
    </Show>
  )
}

export function App() {
  onCleanup(startRouter())
  const [session] = createResource(loadSession)
  const route = (pattern: string) => matchPath(pattern, pathname())

  return (
    <Switch>
      <Match when={session.error}>
        <main class="fatal" role="alert">
          <h2>Cutroom cannot reach its server</h2>
          <p>{apiErrorMessage(session.error)}</p>
        </main>
      </Match>
      <Match when={currentUser() === undefined}>
        <main class="loading">Loading…</main>
      </Match>
      <Match when={route('/r/:token')}>{(params) => <GuestJoinPage token={params().token!} />}</Match>
      <Match when={PUBLIC.includes(pathname()) && currentUser()}>
        <Redirect to="/" />
      </Match>
      <Match when={pathname() === '/signin'}>
        <SignInPage />
      </Match>
      <Match when={pathname() === '/signup'}>
        <SignUpPage />
      </Match>
      <Match when={pathname() === '/forgot-password'}>
        <ForgotPasswordPage />
      </Match>
      <Match when={pathname() === '/reset-password'}>
        <ResetPasswordPage />
      </Match>
      <Match when={route('/projects/:projectId/docs/:documentId')}>
        {(params) => (
          <RequireUser>
            <RouteBoundary>
              <Suspense fallback={<main class="loading">Loading…</main>}>
                <DocumentPage projectId={params().projectId!} documentId={params().documentId!} />
              </Suspense>
            </RouteBoundary>
          </RequireUser>
        )}
      </Match>
      <Match when={route('/projects/:projectId/reviews/:reviewId')}>
        {(params) => {
          const page = () => (
            <RouteBoundary>
              <Suspense fallback={<main class="loading">Loading…</main>}>
                <ReviewPage projectId={params().projectId!} reviewId={params().reviewId!} />
              </Suspense>
            </RouteBoundary>
          )
          // a review-link guest has no account: the review page is the one page they may open
          return (
            <Show
              when={!currentUser() && joinedAsGuest(params().reviewId!)}
              fallback={<RequireUser>{page()}</RequireUser>}
            >
              {page()}
            </Show>
          )
        }}
      </Match>
      <Match when={true}>
        <RequireUser>
          <AppShell>
            <RouteBoundary>
              <Switch fallback={<NotFound />}>
                <Match when={pathname() === '/'}>
                  <ProjectsPage />
                </Match>
                <Match when={route('/projects/:projectId')}>
                  {(params) => (
                    <Suspense fallback={<p class="loading">Loading…</p>}>
                      <FollowProjectOrg projectId={params().projectId!} />
                      <ProjectPage projectId={params().projectId!} />
                    </Suspense>
                  )}
                </Match>
                <Match when={pathname() === '/orgs/new'}>
                  <CreateOrgPage />
                </Match>
                <Match when={pathname() === '/settings/members'}>
                  <NeedsOrg>
                    <MembersPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/settings/api-keys'}>
                  <NeedsOrg>
                    <ApiKeysPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/settings/audit'}>
                  <NeedsOrg>
                    <AuditPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/settings/brand-kits'}>
                  <NeedsOrg>
                    <BrandKitsPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/settings/webhooks'}>
                  <NeedsOrg>
                    <WebhooksPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/settings/billing'}>
                  <NeedsOrg>
                    <BillingPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/my-findings'}>
                  <NeedsOrg>
                    <MyFindingsPage />
                  </NeedsOrg>
                </Match>
                <Match when={pathname() === '/account'}>
                  <AccountPage />
                </Match>
              </Switch>
            </RouteBoundary>
          </AppShell>
        </RequireUser>
      </Match>
    </Switch>
  )
}

function NotFound() {
  return (
    <section class="page narrow">
      <h1>Page not found</h1>
      <p class="muted">
        Nothing lives at <span class="mono">{pathname()}</span>. <a href="/">Back to your projects</a>
      </p>
    </section>
  )
}
