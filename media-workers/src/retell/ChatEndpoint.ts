/** An OpenAI-compatible chat API (`POST <url>/v1/chat/completions`), configured at boot. */
export interface ChatEndpoint {
  url: string
  key?: string
  model: string
}

/** A failure of the chat endpoint, in words a person can act on (no URL or key in it). */
export class ChatEndpointError extends Error {
  override readonly name = 'ChatEndpointError'
}

/**
 * One chat completion: the system and user messages in, the first choice's text out. Unreachable, timed out, an
 * error status or an answer of the wrong shape all throw ChatEndpointError saying which.
 */
export async function chatComplete(
  endpoint: ChatEndpoint,
  messages: { role: 'system' | 'user'; content: string }[],
  options: { signal: AbortSignal; timeoutMs?: number },
): Promise<string> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 120_000)])
  let res: Response
  try {
    res = await fetch(`${endpoint.url.replace(/\/+$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(endpoint.key ? { authorization: `Bearer ${endpoint.key}` } : {}),
      },
      body: JSON.stringify({ model: endpoint.model, messages, temperature: 0.2, response_format: { type: 'json_object' } }),
      signal,
    })
  } catch (err) {
    if (options.signal.aborted) throw err
    const timedOut = (err as Error).name === 'TimeoutError'
    throw new ChatEndpointError(
      timedOut
        ? 'The chat endpoint (LLM_OPENAI_URL) did not answer in time; the draft was not written.'
        : 'The chat endpoint (LLM_OPENAI_URL) could not be reached; the draft was not written. Check that it is running.',
    )
  }
  if (!res.ok)
    throw new ChatEndpointError(`The chat endpoint answered ${res.status}; the draft was not written.`)
  const body = (await res.json().catch(() => null)) as { choices?: { message?: { content?: unknown } }[] } | null
  const content = body?.choices?.[0]?.message?.content
  if (typeof content !== 'string')
    throw new ChatEndpointError('The chat endpoint answered without a message; the draft was not written.')
  return content
}
