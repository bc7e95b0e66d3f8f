import { can } from '@cutroom/schema'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { billingChanged } from '../lib/billingChanged'
import { currentOrg } from '../lib/session'

const GiB = 1024 ** 3
const fmt = (metric: string, v: number) =>
  metric.startsWith('storage')
    ? `${(v / GiB).toFixed(2)} GiB`
    : metric.startsWith('media')
      ? `${v.toFixed(1)} min`
      : String(Math.round(v))

/** A day of the billing period, which runs in UTC. */
const day = (d: string | Date) => new Date(d).toLocaleDateString(undefined, { timeZone: 'UTC' })

/** An amount in the currency's smallest unit (Stripe's convention), formatted for the reader. */
function money(amount: number, currency: string): string {
  const code = currency.toUpperCase()
  try {
    const digits =
      new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ??
      2
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(amount / 10 ** digits)
  } catch {
    return `${(amount / 100).toFixed(2)} ${code}`
  }
}

/** A bar of used against the limit. */
function UsageBar(props: { label: string; metric: string; used: number; limit: number }) {
  const percent = () => Math.min(100, props.limit > 0 ? (props.used / props.limit) * 100 : 0)
  return (
    <div class="usage-row">
      <div class="usage-label">
        <span>{props.label}</span>
        <span class="muted">
          {fmt(props.metric, props.used)} of {fmt(props.metric, props.limit)}
        </span>
      </div>
      <div class="usage-bar" title={`${Math.round(percent())}% of ${props.label}`}>
        <div class={percent() >= 100 ? 'full' : percent() >= 80 ? 'high' : ''} style={{ width: `${percent()}%` }} />
      </div>
    </div>
  )
}

/** A small bar chart of one daily series. */
function DailyChart(props: { metric: string; days: string[]; values: Array<number | null> }) {
  const max = () => Math.max(1e-9, ...props.values.map((v) => v ?? 0))
  const w = 4
  return (
    <figure class="usage-chart">
      <figcaption class="small">{props.metric.replace('media_minutes.', 'minutes: ').replace('_', ' ')}</figcaption>
      <svg
        viewBox={`0 0 ${props.days.length * w} 40`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${props.metric} per day`}
      >
        <For each={props.values}>
          {(v, i) => {
            const h = ((v ?? 0) / max()) * 38
            return (
              <rect x={i() * w} y={40 - h} width={w - 1} height={h}>
                <title>{`${props.days[i()]}: ${fmt(props.metric, v ?? 0)}`}</title>
              </rect>
            )
          }}
        </For>
      </svg>
    </figure>
  )
}

/** Plan, limits, usage this period with a chart per metric, and plan changes (Stripe, or manual when self-hosted). */
export function BillingPage() {
  const orgId = () => currentOrg()?.id
  const [billing, { refetch }] = createResource(orgId, (id) => api.billing.get.query({ orgId: id }))
  const [usage] = createResource(
    () => billing() && orgId(),
    (id) => {
      const b = billing()!
      const from = b.period.start.slice(0, 10)
      const to = new Date(new Date(b.period.end).getTime() - 86_400_000).toISOString().slice(0, 10)
      return api.billing.usage.query({ orgId: id, from, to })
    },
  )
  const [invoices] = createResource(
    () => billing()?.stripe && orgId(),
    (id) => api.billing.invoices.query({ orgId: id }),
  )
  const [error, setError] = createSignal<string | null>(null)
  const owner = () => (currentOrg() ? can(currentOrg()!.role, 'org.manageBilling') : false)

  const choose = async (plan: 'free' | 'pro' | 'team') => {
    setError(null)
    try {
      const b = billing()!
      if (b.mode === 'manual') {
        await api.billing.setPlan.mutate({ orgId: orgId()!, plan })
        await refetch()
        billingChanged()
      } else {
        const { url } = await api.billing.checkout.mutate({ orgId: orgId()!, plan })
        window.location.assign(url)
      }
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }
  const portal = async () => {
    setError(null)
    try {
      window.location.assign((await api.billing.portal.mutate({ orgId: orgId()! })).url)
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }

  return (
    <section class="page">
      <div class="page-head">
        <h1>Billing</h1>
        <span class="muted">{currentOrg()?.name}</span>
      </div>
      <Show when={billing.error || error()}>
        <p class="error" role="alert">
          {error() ?? apiErrorMessage(billing.error)}
        </p>
      </Show>
      <Show when={billing()}>
        {(b) => (
          <>
            <p>
              Plan: <strong data-testid="plan">{b().plan.label}</strong>
              <Show when={b().billingStatus !== 'active'}>
                <span class="error"> · payment {b().billingStatus.replace('_', ' ')}</span>
              </Show>
              <span class="muted">
                {' '}
                · period {day(b().period.start)} – {day(new Date(new Date(b().period.end).getTime() - 86_400_000))}
              </span>
            </p>
            <UsageBar
              label="Media minutes this month"
              metric="media"
              used={b().usage.mediaMinutes}
              limit={b().limits.mediaMinutesPerMonth}
            />
            <UsageBar label="Storage" metric="storage" used={b().usage.storageBytes} limit={b().limits.storageBytes} />
            <UsageBar label="Seats" metric="seats" used={b().usage.seats} limit={b().limits.seats} />
            <UsageBar
              label="Jobs running now"
              metric="jobs"
              used={b().usage.concurrentJobs}
              limit={b().limits.concurrentJobs}
            />
            <p class="muted small">Uploads up to {(b().limits.maxUploadBytes / GiB).toFixed(0)} GiB per file.</p>

            <h2>Usage per day</h2>
            <div class="usage-charts">
              <For each={usage()?.series ?? []}>
                {(s) => <DailyChart metric={s.metric} days={usage()!.days} values={s.values} />}
              </For>
            </div>

            <Show when={b().stripe}>
              <h2>Invoices</h2>
              <Show when={invoices.error}>
                <p class="error" role="alert">
                  {apiErrorMessage(invoices.error)}
                </p>
              </Show>
              <Show when={invoices()}>
                {(list) => (
                  <Show when={list().length > 0} fallback={<p class="muted">No invoices yet.</p>}>
                    <table class="invoices" data-testid="invoices">
                      <thead>
                        <tr>
                          <th>Invoice</th>
                          <th>Date</th>
                          <th>Period</th>
                          <th>Amount</th>
                          <th>Status</th>
                          <th />
                        </tr>
                      </thead>
                      <tbody>
                        <For each={list()}>
                          {(inv) => (
                            <tr data-testid="invoice">
                              <td>{inv.number ?? inv.id}</td>
                              <td>{new Date(inv.created).toLocaleDateString()}</td>
                              <td class="muted">
                                {new Date(inv.periodStart).toLocaleDateString()} –{' '}
                                {new Date(inv.periodEnd).toLocaleDateString()}
                              </td>
                              <td>{money(inv.amountDue, inv.currency)}</td>
                              <td>{inv.status ?? ''}</td>
                              <td>
                                <Show when={inv.hostedUrl}>
                                  {(href) => (
                                    <a href={href()} target="_blank" rel="noopener noreferrer">
                                      View
                                    </a>
                                  )}
                                </Show>{' '}
                                <Show when={inv.pdfUrl}>
                                  {(href) => (
                                    <a href={href()} target="_blank" rel="noopener noreferrer">
                                      PDF
                                    </a>
                                  )}
                                </Show>
                              </td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </Show>
                )}
              </Show>
            </Show>

            <Show when={owner()}>
              <h2>Change plan</h2>
              <div class="plan-choices">
                <For each={b().plans}>
                  {(p) => (
                    <button type="button" disabled={p.id === b().plan.id} onClick={() => choose(p.id)}>
                      {p.label}: {p.mediaMinutesPerMonth} min, {p.seats} seats, {p.concurrentJobs} jobs at once
                    </button>
                  )}
                </For>
              </div>
              <Show when={b().stripe}>
                <button type="button" class="ghost" onClick={portal}>
                  Payment method and invoices
                </button>
              </Show>
            </Show>
          </>
        )}
      </Show>
    </section>
  )
}
