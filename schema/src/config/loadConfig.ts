import type { z } from 'zod'

/** Thrown at boot when an environment variable is missing or invalid; its message names each variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: { variable: string; problem: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n')}`)
  }
}

/**
 * Validates the environment once, at boot. Empty strings count as unset, so `FOO=` in a .env file falls
 * back to the default instead of failing.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const cleaned: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v
  const parsed = schema.safeParse(cleaned)
  if (parsed.success) return parsed.data
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(environment)'),
      problem: issue.message,
    })),
  )
}
