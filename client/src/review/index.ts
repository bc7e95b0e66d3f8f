export type { ReviewRoom, ReviewVersion } from './ReviewRoom'
export { ReviewPage } from './ReviewPage'
export { ReviewsPanel } from './ReviewsPanel'
