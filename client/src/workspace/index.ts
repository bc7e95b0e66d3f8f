export { DocumentPage } from './DocumentPage'
export { ProjectPage } from './ProjectPage'
