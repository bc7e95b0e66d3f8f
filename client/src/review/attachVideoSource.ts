import Hls from 'hls.js'

/**
 * Plays a version in a video element: the HLS proxy through hls.js (with the session cookie) when there is one,
 * else the uploaded source. Returns the detach function. `onError` gets a message for people.
 */
export function attachVideoSource(
  video: HTMLVideoElement,
  media: { hlsUrl?: string; sourceUrl?: string },
  onError: (message: string) => void,
): () => void {
  if (media.hlsUrl && Hls.isSupported()) {
    const hls = new Hls({
      xhrSetup: (xhr) => {
        xhr.withCredentials = true
      },
      // frame-accurate stepping wants the whole (proxy-sized) clip buffered, not a few seconds ahead
      maxBufferLength: 120,
    })
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) onError(`Playback failed: ${data.details}`)
    })
    hls.loadSource(media.hlsUrl)
    hls.attachMedia(video)
    return () => hls.destroy()
  }
  const url = media.hlsUrl ?? media.sourceUrl
  if (!url) {
    onError('This version has no playable media yet.')
    return () => {}
  }
  video.src = url
  return () => {
    video.removeAttribute('src')
    video.load()
  }
}
