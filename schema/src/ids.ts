/** Branded ids: a plain string at run time, a distinct type at compile time. */
export type UserId = string & { readonly __userId: true }
export type OrgId = string & { readonly __orgId: true }
export type ProjectId = string & { readonly __projectId: true }
export type DocumentId = string & { readonly __documentId: true }
export type AssetId = string & { readonly __assetId: true }
export type JobId = string & { readonly __jobId: true }
export type ArtifactId = string & { readonly __artifactId: true }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** The Hocuspocus name of a document: `doc:<uuid>`. */
export function documentName(id: DocumentId | string): string {
  return `doc:${id}`
}

/** The document id inside a Hocuspocus name, or null when the name is not of the form `doc:<uuid>`. */
export function parseDocumentName(name: string): DocumentId | null {
  if (!name.startsWith('doc:')) return null
  const id = name.slice(4)
  return isUuid(id) ? (id.toLowerCase() as DocumentId) : null
}
