/**
 * Names of the IndexedDB databases that keep documents on this device: one per person and document, so one
 * person's offline edits never load into another's session on a shared browser.
 */
const PREFIX = 'cutroom-doc'

export function offlineStoreName(userId: string, documentName: string): string {
  return `${PREFIX}:${userId}:${documentName}`
}

/** Deletes every document copy a person left on this device (on sign-out). */
export async function forgetOfflineCopies(userId: string): Promise<void> {
  if (!indexedDB.databases) return
  const mine = `${PREFIX}:${userId}:`
  for (const db of await indexedDB.databases()) {
    if (db.name?.startsWith(mine)) indexedDB.deleteDatabase(db.name)
  }
}
