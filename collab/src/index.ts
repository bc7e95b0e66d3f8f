export type { CollabContext, Principal } from './CollabContext'
export { CollabMetrics } from './CollabMetrics'
export {
  type CollabServer,
  type CollabServerConfig,
  type CollabServerOptions,
  createCollabServer,
} from './createCollabServer'
export { DocPatcher } from './DocPatcher'
export { makeContentEqual } from './makeContentEqual'
export { UpdateLog } from './UpdateLog'
