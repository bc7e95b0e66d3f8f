/**
 * ffmpeg and ffprobe name their input in errors, and a worker's input is a presigned URL: replaces every URL
 * with "the file" so an error shown to people never carries a signed address.
 */
export function withoutUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+?(?=:\s|\s|$)/gi, 'the file')
}
