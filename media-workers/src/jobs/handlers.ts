import type { JobKind } from '@cutroom/schema'
import type { JobHandler } from '../JobContext'
import { discover } from './discover'
import { exportJob } from './export'
import { align } from './align'
import { framediff } from './framediff'
import { probe } from './probe'
import { retell } from './retell'
import { thumbnails } from './thumbnails'
import { transcode } from './transcode'
import { transcribe } from './transcribe'
import { tts } from './tts'
import { waveform } from './waveform'

/** The job kinds this package implements; the other kinds have no consumer here. */
export const JOB_HANDLERS: Partial<{ [K in JobKind]: JobHandler<K> }> = {
  probe,
  transcode,
  thumbnails,
  waveform,
  framediff,
  transcribe,
  discover,
  retell,
  tts,
  export: exportJob,
  align,
}
