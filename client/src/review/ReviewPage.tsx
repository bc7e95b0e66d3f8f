import { createResource, createSignal, Match, onCleanup, Switch } from 'solid-js'
import { api } from '../lib/api'
import { errorMessage } from '../workspace/errorMessage'
import { userColor } from '../workspace/userColor'
import type { FramediffJob } from './ReviewDetails'
import { reviewVersion } from './reviewVersion'
import { ReviewSession } from './ReviewSession'
import './review.css'

const RUNNING = ['queued', 'running']

/** The review room of one review: loads the review, its versions and the person, then opens the session. */
export function ReviewPage(props: { projectId: string; reviewId: string }) {
  const [info] = createResource(
    () => props.reviewId,
    async (id) => {
      const [review, config, me] = await Promise.all([
        api.reviews.get.query({ id }),
        api.system.config.query(),
        api.auth.me.query().catch(() => null),
      ])
      // A review-link guest reads the review and its versions only; members, the project and assets are not theirs.
      const guest = review.role === 'guest' ? review.guest : null
      const project = guest ? null : await api.projects.get.query({ id: props.projectId })
      const projectFps = project ? { num: project.fpsNum, den: project.fpsDen } : { num: 30, den: 1 }
      const members = guest ? [] : await api.orgs.members.list.query({ orgId: review.orgId }).catch(() => [])
      const person = (me as { user?: { id?: string; name?: string; email?: string } } | null)?.user
      const user = guest
        ? { id: `guest:${guest.name}`, name: `${guest.name} (guest)` }
        : person?.id
          ? { id: person.id, name: person.name || person.email || 'Someone' }
          : null
      if (!review.asset) throw new Error('The reviewed version is no longer in this project.')
      return {
        review,
        collabUrl: config.collabUrl ?? `ws://${location.hostname}:4001`,
        user,
        version: reviewVersion(review.asset, projectFps),
        compareTo: review.compareTo ? reviewVersion(review.compareTo, projectFps) : null,
        members: members.map((m) => ({ id: m.userId, name: m.name || m.email })),
      }
    },
  )
  // The framediff job's state, polled while it runs.
  const [job, setJob] = createSignal<FramediffJob | null>(null)
  let poll = 0
  const watchJob = (initial: FramediffJob | null) => {
    setJob(initial)
    clearInterval(poll)
    if (!initial || !RUNNING.includes(initial.status)) return
    poll = window.setInterval(async () => {
      const fresh = await api.reviews.get.query({ id: props.reviewId }).catch(() => null)
      if (!fresh?.framediffJob) return
      setJob(fresh.framediffJob)
      if (!RUNNING.includes(fresh.framediffJob.status)) clearInterval(poll)
    }, 1500)
  }
  onCleanup(() => clearInterval(poll))

  return (
    <div class="workspace-page review-page">
      <Switch>
        <Match when={info.error}>
          <div class="fatal" role="alert" data-testid="review-error">
            <h2>This review could not be opened</h2>
            <p>{errorMessage(info.error)}</p>
            <a class="button" href={`/projects/${props.projectId}`}>
              Back to the project
            </a>
          </div>
        </Match>
        <Match when={info()}>
          {(loaded) => (
            <Switch>
              <Match when={!loaded().user}>
                <div class="fatal" role="alert">
                  <h2>Sign in to open this review</h2>
                  <a class="button" href="/">
                    Sign in
                  </a>
                </div>
              </Match>
              <Match when={loaded().user}>
                {(user) => {
                  watchJob(loaded().review.framediffJob)
                  const r = loaded().review
                  return (
                    <ReviewSession
                      review={{
                        id: r.id,
                        projectId: r.projectId,
                        orgId: r.orgId,
                        title: r.title,
                        role: r.role,
                        qaName: r.qaDocument.name,
                        qaAccess: r.qaDocument.access,
                        workflowName: r.workflowDocument.name,
                      }}
                      version={loaded().version}
                      compareTo={loaded().compareTo}
                      collabUrl={loaded().collabUrl}
                      user={{ ...user(), color: userColor(user().id) }}
                      members={() => loaded().members}
                      job={job}
                    />
                  )
                }}
              </Match>
            </Switch>
          )}
        </Match>
        <Match when={info.loading}>
          <div class="loading">Opening review…</div>
        </Match>
      </Switch>
    </div>
  )
}
