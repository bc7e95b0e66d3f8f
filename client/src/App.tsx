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
import { AppShell } from './pages/AppShell'
import { ProjectsPage } from './pages/ProjectsPage'
import { SignInPage } from './pages/SignInPage'
import './pages/pages.css'
import { GuestJoinPage, joinedAsGuest } from './review/GuestJoinPage'

// Every page but sign-in, the shell and the project list is its own chunk, loaded when first opened; the
// editors are the largest.
const AccountPage = lazy(() => import('./pages/AccountPage').then((m) => ({ default: m.AccountPage })))
const ApiKeysPage = lazy(() => import('./pages/ApiKeysPage').then((m) => ({ default: m.ApiKeysPage })))
const AuditPage = lazy(() => import('./pages/AuditPage').then((m) => ({ default: m.AuditPage })))
const BillingPage = lazy(() => import('./pages/BillingPage').then((m) => ({ default: m.BillingPage })))
const CreateOrgPage = lazy(() => import('./pages/CreateOrgPage').then((m) => ({ default: m.CreateOrgPage })))
const ForgotPasswordPage = lazy(() =>
  import('./pages/ForgotPasswordPage').then((m) => ({ default: m.ForgotPasswordPage })),
)
const MembersPage = lazy(() => import('./pages/MembersPage').then((m) => ({ default: m.MembersPage })))
const MyFindingsPage = lazy(() => import('./pages/MyFindingsPage').then((m) => ({ default: m.MyFindingsPage })))
const ResetPasswordPage = lazy(() =>
  import('./pages/ResetPasswordPage').then((m) => ({ default: m.ResetPasswordPage })),
)
const SignUpPage = lazy(() => import('./pages/SignUpPage').then((m) => ({ default: m.SignUpPage })))
const WebhooksPage = lazy(() => import('./pages/WebhooksPage').then((m) => ({ default: m.WebhooksPage })))
const BrandKitsPage = lazy(() => import('./pages/BrandKitsPage').then((m) => ({ default: m.BrandKitsPage })))
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
        <Suspense fallback={<main class="loading">Loading…</main>}>
          <SignUpPage />
        </Suspense>
      </Match>
      <Match when={pathname() === '/forgot-password'}>
        <Suspense fallback={<main class="loading">Loading…</main>}>
          <ForgotPasswordPage />
        </Suspense>
      </Match>
      <Match when={pathname() === '/reset-password'}>
        <Suspense fallback={<main class="loading">Loading…</main>}>
          <ResetPasswordPage />
        </Suspense>
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
              <Suspense fallback={<p class="loading">Loading…</p>}>
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
                  <Match when={pathname() === '/settings/webhooks'}>
                    <NeedsOrg>
                      <WebhooksPage />
                    </NeedsOrg>
                  </Match>
                  <Match when={pathname() === '/settings/brand-kits'}>
                    <NeedsOrg>
                      <BrandKitsPage />
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
              </Suspense>
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
