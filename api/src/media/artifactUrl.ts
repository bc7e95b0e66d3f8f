/** The api route that serves an artifact's files (see mediaRoute): `/media/<artifactId>/<file in the artifact>`. */
export function artifactUrl(artifactId: string, storageKey: string): string {
  const file = storageKey.split('/').pop() ?? ''
  return `/media/${artifactId}/${encodeURIComponent(file)}`
}
