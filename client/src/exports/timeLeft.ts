/**
 * Seconds left of a job from its progress so far: the elapsed time scaled by what remains. Null until there is
 * enough progress to estimate from (the first few percent are setup, not rendering).
 */
export function timeLeft(progress: number, elapsedMs: number): number | null {
  if (!(progress > 0.03) || progress >= 1 || elapsedMs <= 0) return null
  return Math.max(0, Math.round(((elapsedMs / 1000) * (1 - progress)) / progress))
}

/** "2 min 5 s left", "40 s left". */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null) return 'estimating time left…'
  if (seconds < 60) return `${seconds} s left`
  const m = Math.floor(seconds / 60)
  return `${m} min ${seconds % 60} s left`
}
