/** `orgs/<org>/projects/<project>/assets/<asset>` */
export function assetPrefix(orgId: string, projectId: string, assetId: string): string {
  return `orgs/${orgId}/projects/${projectId}/assets/${assetId}`
}

/** Where an upload lands: `.../assets/<asset>/source/<safe file name>`. */
export function sourceKey(orgId: string, projectId: string, assetId: string, filename: string): string {
  return `${assetPrefix(orgId, projectId, assetId)}/source/${safeFileName(filename)}`
}

/** A file name safe in a key and a URL: path parts dropped, odd characters replaced, length bounded. */
export function safeFileName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? ''
  const cleaned = base
    .normalize('NFKD')
    .replace(/[^\w.\- ]+/g, '_')
    .replace(/\s+/g, '_')
    .replace(/^\.+/, '')
    .slice(-120)
  return cleaned || 'upload'
}

/** Where a brand kit file lands: `orgs/<org>/brand-kits/files/<file>/<safe file name>`. */
export function brandKitFileKey(orgId: string, fileId: string, filename: string): string {
  return `orgs/${orgId}/brand-kits/files/${fileId}/${safeFileName(filename)}`
}
