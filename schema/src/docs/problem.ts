/** One thing a validator found wrong in a document. `path` points at the offending value. */
export interface Problem {
  readonly code: ProblemCode
  readonly path: string
  readonly message: string
}

export const ProblemCode = {
  MISSING_ROOT: 'MISSING_ROOT',
  BAD_VALUE: 'BAD_VALUE',
  NOT_INTEGER: 'NOT_INTEGER',
  DUPLICATE_ID: 'DUPLICATE_ID',
  EMPTY_RANGE: 'EMPTY_RANGE',
  DANGLING_ANCHOR: 'DANGLING_ANCHOR',
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  VERSION: 'VERSION',
} as const
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode]

export function problem(code: ProblemCode, path: string, message: string): Problem {
  return { code, path, message }
}

/** True when `value` is a safe integer (every time value in a document is one). */
export function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value)
}
