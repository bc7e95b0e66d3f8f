/** A random id for an item inside a document (Web Crypto, available in Node and browsers). */
export function newId(): string {
  return globalThis.crypto.randomUUID()
}
