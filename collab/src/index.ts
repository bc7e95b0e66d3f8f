export { type CollabServerOptions, createCollabServer } from './createCollabServer'
