import { fcpTime, xmlAttr } from './fcpxmlText'
import {
  type CutAnchoredClip,
  type CutAsset,
  type CutStorylineItem,
  storylineItemAt,
  type TimelineCut,
} from './timelineCut'
import { isDropFrame } from './timecode'

/** Where an item's own (local) time starts: its source in for a clip, 0 for a gap. */
function localStart(item: CutStorylineItem): number {
  return item.kind === 'clip' ? item.sourceIn : 0
}

/**
 * FCPXML 1.10: the storyline as the project's spine (`asset-clip` and `gap` at their offsets), anchored lanes as
 * connected clips (`lane` 1, 2, ... for video, -1, -2, ... for audio) of the spine item under their first frame,
 * and each marker as a one-frame marker of the spine item it falls in, in that item's local time. Every time is
 * a rational number of seconds that is a whole number of frames at the timeline's rate.
 */
export function timelineFcpxml(cut: TimelineCut): string {
  const { fps } = cut
  const t = (f: number) => fcpTime(f, fps)
  const assets = new Map<string, { ref: string; asset: CutAsset; end: number }>()
  const use = (asset: CutAsset, end: number) => {
    const known = assets.get(asset.id)
    if (known) known.end = Math.max(known.end, end)
    else assets.set(asset.id, { ref: `r${assets.size + 2}`, asset, end })
    return assets.get(asset.id)!.ref
  }
  const spine = cut.storyline.filter((i) => i.end > i.start)
  const connected = new Map<string, { clip: CutAnchoredClip; lane: number }[]>()
  let video = 0
  let audio = 0
  for (const lane of cut.lanes) {
    const number = lane.kind === 'video' ? ++video : -++audio
    for (const clip of lane.clips) {
      if (spine.length === 0) break
      const parent = storylineItemAt(cut, Math.min(Math.max(clip.start, 0), cut.duration - 1))
      connected.set(parent.id, [...(connected.get(parent.id) ?? []), { clip, lane: number }])
    }
  }
  const markers = new Map<string, typeof cut.markers>()
  for (const m of cut.markers) {
    const item = storylineItemAt(cut, m.frame)
    markers.set(item.id, [...(markers.get(item.id) ?? []), m])
  }
  const body: string[] = []
  for (const item of spine) {
    const local = localStart(item)
    const children: string[] = []
    for (const { clip, lane } of connected.get(item.id) ?? []) {
      const ref = use(clip.asset, clip.sourceIn + clip.end - clip.start)
      children.push(
        `              <asset-clip ref="${ref}" lane="${lane}" name="${xmlAttr(clip.label || clip.asset.filename)}" offset="${t(local + clip.start - item.start)}" start="${t(clip.sourceIn)}" duration="${t(clip.end - clip.start)}"${clip.asset.hasVideo ? ' format="r1"' : ''}/>`,
      )
    }
    for (const m of markers.get(item.id) ?? [])
      children.push(
        `              <marker start="${t(local + m.frame - item.start)}" duration="${t(1)}" value="${xmlAttr(m.label || 'Marker')}"/>`,
      )
    const timing = `offset="${t(item.start)}" start="${t(local)}" duration="${t(item.end - item.start)}"`
    const open =
      item.kind === 'clip'
        ? `<asset-clip ref="${use(item.asset, item.sourceIn + item.end - item.start)}" name="${xmlAttr(item.label || item.asset.filename)}" ${timing}${item.asset.hasVideo ? ' format="r1"' : ''}`
        : `<gap name="Gap" ${timing}`
    const tag = item.kind === 'clip' ? 'asset-clip' : 'gap'
    if (children.length === 0) body.push(`            ${open}/>`)
    else body.push(`            ${open}>`, ...children, `            </${tag}>`)
  }
  const resources = [...assets.values()].map(({ ref, asset, end }) => {
    const duration = t(Math.max(asset.durationFrames ?? 0, end))
    const kinds = `hasVideo="${asset.hasVideo ? 1 : 0}" hasAudio="${asset.hasAudio ? 1 : 0}"`
    return [
      `    <asset id="${ref}" name="${xmlAttr(asset.filename)}" start="0s" duration="${duration}" ${kinds}${asset.hasVideo ? ' format="r1"' : ''}>`,
      `      <media-rep kind="original-media" src="${xmlAttr(`./${encodeURIComponent(asset.filename)}`)}"/>`,
      '    </asset>',
    ].join('\n')
  })
  const audioRate = cut.sampleRate === 44100 ? '44.1k' : cut.sampleRate === 96000 ? '96k' : '48k'
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE fcpxml>',
    '<fcpxml version="1.10">',
    '  <resources>',
    `    <format id="r1" frameDuration="${t(1)}" width="${cut.width}" height="${cut.height}"/>`,
    ...resources,
    '  </resources>',
    '  <library>',
    `    <event name="${xmlAttr(cut.title)}">`,
    `      <project name="${xmlAttr(cut.title)}">`,
    `        <sequence format="r1" duration="${t(cut.duration)}" tcStart="0s" tcFormat="${isDropFrame(fps) ? 'DF' : 'NDF'}" audioLayout="stereo" audioRate="${audioRate}">`,
    '          <spine>',
    ...body,
    '          </spine>',
    '        </sequence>',
    '      </project>',
    '    </event>',
    '  </library>',
    '</fcpxml>',
    '',
  ].join('\n')
}
