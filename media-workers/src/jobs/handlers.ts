import type { JobKind } from '@cutroom/schema'
import type { JobHandler } from '../JobContext'
import { align } from './align'
import { framediff } from './framediff'
import { probe } from './probe'
import { thumbnails } from './thumbnails'
import { transcode } from './transcode'
import { transcribe } from './transcribe'
import { waveform } from './waveform'

/** The job kinds this package implements; the other kinds have no consumer here. */
export const JOB_HANDLERS: Partial<{ [K in JobKind]: JobHandler<K> }> = {
  probe,
  transcode,
  thumbnails,
  waveform,
  framediff,
  transcribe,
  align,
}
