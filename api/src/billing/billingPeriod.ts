/** The billing period is the calendar month in UTC. */
export function periodStart(at: Date = new Date()): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1))
}

export function periodEnd(at: Date = new Date()): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1))
}

/** `YYYY-MM` of the period, the key warnings are sent once per. */
export function periodKey(at: Date = new Date()): string {
  return periodStart(at).toISOString().slice(0, 7)
}

export function dayKey(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10)
}
