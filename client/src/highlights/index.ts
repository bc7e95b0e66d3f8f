export { HighlightsPanel } from './HighlightsPanel'
