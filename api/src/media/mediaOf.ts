import { ErrorCode } from '@cutroom/schema'
import { apiError } from '../apiError'
import type { ApiServices } from '../services'
import type { MediaServices } from './MediaServices'

/** The media pipeline of this api process; an api started without NATS/S3 answers with a clear error. */
export function mediaOf(services: ApiServices): MediaServices {
  if (!services.media)
    throw apiError(ErrorCode.UNAVAILABLE, 'The media pipeline is not configured on this server (NATS and S3).')
  return services.media
}
