import type { JobHandler } from '../JobContext'

/**
 * ffprobe of the source. A file that is not playable media fails permanently with UNSUPPORTED_MEDIA (the api
 * marks the asset rejected); otherwise the metadata becomes the asset's metadata.
 */
export const probe: JobHandler<'probe'> = async (ctx) => {
  ctx.progress(0, 'opening')
  await ctx.source()
  ctx.progress(0.5, 'probing')
  const info = await ctx.mediaInfo()
  ctx.progress(1, 'done')
  return { artifacts: [], usage: [], result: { metadata: info } }
}
