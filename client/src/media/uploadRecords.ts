/**
 * What the browser remembers of unfinished uploads, so one can resume after a reload: the asset it belongs
 * to and the ETags of the parts already stored. Keyed by project and file identity (name, size, mtime).
 */
export interface UploadRecord {
  assetId: string
  projectId: string
  name: string
  size: number
  lastModified: number
  /** partNumber -> ETag */
  parts: Record<number, string>
  startedAt: number
}

const PREFIX = 'cutroom:upload:'

function keyOf(projectId: string, file: { name: string; size: number; lastModified: number }): string {
  return `${PREFIX}${projectId}:${file.name}:${file.size}:${file.lastModified}`
}

export function findUploadRecord(projectId: string, file: File): UploadRecord | null {
  try {
    const raw = localStorage.getItem(keyOf(projectId, file))
    return raw ? (JSON.parse(raw) as UploadRecord) : null
  } catch {
    return null
  }
}

export function saveUploadRecord(record: UploadRecord): void {
  try {
    localStorage.setItem(keyOf(record.projectId, record), JSON.stringify(record))
  } catch {
    // storage full or disabled: the upload still works, it just cannot resume after a reload
  }
}

export function forgetUploadRecord(record: Pick<UploadRecord, 'projectId' | 'name' | 'size' | 'lastModified'>): void {
  localStorage.removeItem(keyOf(record.projectId, record))
}

/** Unfinished uploads of a project (newest first), to offer resuming them. */
export function pendingUploads(projectId: string): UploadRecord[] {
  const out: UploadRecord[] = []
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i)
    if (!k?.startsWith(`${PREFIX}${projectId}:`)) continue
    try {
      out.push(JSON.parse(localStorage.getItem(k) ?? '') as UploadRecord)
    } catch {}
  }
  return out.sort((a, b) => b.startedAt - a.startedAt)
}
