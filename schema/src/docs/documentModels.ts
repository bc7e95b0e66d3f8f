import type { DocumentKind } from '../roles'
import type { DocModel } from './docModel'
import * as qa from './qa'
import * as qaWorkflow from './qaWorkflow'
import * as retell from './retell'
import * as timeline from './timeline'
import * as transcript from './transcript'

/** The model of each document kind: what the collab server prepares (genesis + migrations) on load. */
export const documentModels: Record<DocumentKind, DocModel> = {
  timeline: timeline.model,
  transcript: transcript.model,
  retell: retell.model,
  qa: qa.model,
  'qa-workflow': qaWorkflow.model,
}
