/**
 * Where a video's first frame sits on its media timeline. An HLS proxy played through MSE starts at the first
 * frame's presentation time (e.g. two frames in, after B-frame reordering), not at 0; frame n is then at
 * start + n / fps. Measured from the buffered range once the first data is in; `set` gets 0 for a plain file
 * or an implausible start. Returns the function that stops listening.
 */
export function measureMediaStart(video: HTMLVideoElement, set: (seconds: number) => void): () => void {
  const stop = () => {
    video.removeEventListener('loadeddata', measure)
    video.removeEventListener('progress', measure)
  }
  const measure = () => {
    if (video.buffered.length === 0) return
    const start = video.buffered.start(0)
    set(start > 0 && start < 1 ? start : 0)
    stop()
  }
  video.addEventListener('loadeddata', measure)
  video.addEventListener('progress', measure)
  return stop
}
