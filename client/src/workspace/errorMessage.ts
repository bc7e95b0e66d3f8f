/** The message to show for a failed request: tRPC errors carry the server's human message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message
  return 'Something went wrong. Reload the page to try again.'
}
