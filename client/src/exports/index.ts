export { ExportDialog } from './ExportDialog'
export { ExportsPanel } from './ExportsPanel'
