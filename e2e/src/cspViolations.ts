import type { BrowserContext, Page } from 'playwright-core'

/** Reports each securitypolicyviolation event to the console, where `watchCspViolations` collects it. */
const REPORTER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('Content Security Policy violation: ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber)
})`

/**
 * Collects the Content-Security-Policy violations of every page of `context` (Chromium's own console reports and
 * the pages' securitypolicyviolation events) into `into`. Call before opening pages; a test asserts it stays empty.
 */
export async function watchCspViolations(context: BrowserContext, into: string[] = []): Promise<string[]> {
  // init scripts run through the DevTools protocol, outside the page's CSP
  await context.addInitScript(REPORTER)
  const watch = (page: Page) =>
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) into.push(`${page.url()}: ${m.text()}`)
    })
  context.pages().forEach(watch)
  context.on('page', watch)
  return into
}
