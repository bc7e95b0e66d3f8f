import { timeline, transcript } from '@cutroom/schema'
import { startWorkspaceStack } from './workspace-stack'

/** Opens the workspace as two people and saves screenshots (docs/screenshots). Not a test. */
const out = process.argv[2] ?? '/tmp/shots'
const stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor', Vera: 'viewer' })
try {
  const tl = await stack.createDocument('timeline', 'Launch film — cut 3')
  const tr = await stack.createDocument('transcript', 'Interview with Maya')
  const rt = await stack.createDocument('retell', 'Narration draft')
  const seed = await stack.replica(tl)
  const labels = ['Opening wide', 'Maya intro', 'B-roll factory', 'Interview A', 'Product close-up', 'Street', 'Interview B', 'Outro']
  labels.forEach((label, i) => {
    timeline.insertClip(seed.doc, { at: { index: i }, assetId: `asset-${i % 4}`, sourceIn: 0, sourceOut: 60 + ((i * 37) % 90), label })
  })
  const music = timeline.addTrack(seed.doc, { kind: 'audio', name: 'Music' })
  const captions = timeline.addTrack(seed.doc, { kind: 'caption', name: 'Captions' })
  const story = timeline.storylineLayout(seed.doc)
  timeline.addAnchoredItem(seed.doc, { trackId: music, anchorId: story[0]!.id, offset: 10, duration: 400, assetId: 'asset-music', sourceIn: 0, label: 'Theme' })
  timeline.addAnchoredItem(seed.doc, { trackId: captions, anchorId: story[1]!.id, offset: 5, duration: 60, text: 'Maya Chen, founder' })
  timeline.addMarker(seed.doc, { frame: 200, label: 'Music hit', color: 'orange' })
  await seed.settled()
  const trSeed = await stack.replica(tr)
  const lines = [
    ['Maya', 'we started the company in a garage with two laptops and a very old camera'],
    ['Interviewer', 'what made you think people would want this'],
    ['Maya', 'honestly we did not know we just kept showing it to editors and they kept asking for more'],
  ]
  let t = 0
  transcript.buildTranscript(trSeed.doc, {
    assetId: 'asset-1', language: 'en', source: 'manual', sampleRate: 48000,
    segments: lines.map(([speaker, text]) => ({ speaker: speaker!, words: text!.split(' ').map((w) => { const s = t; t += 20000; return { text: w, start: s, end: s + 18000, confidence: w.length > 8 ? 0.5 : 0.95 } }) })),
  })
  await trSeed.settled()

  const ada = await stack.contextFor(stack.people.Ada!)
  const ben = await stack.contextFor(stack.people.Ben!)
  const pa = await stack.openDocument(ada, tl)
  const pb = await stack.openDocument(ben, tl)
  await pa.waitForSelector('[data-testid=save-state][data-state=saved]')
  await pb.waitForSelector('[data-testid=save-state][data-state=saved]')
  const box = (await pb.locator('[data-testid=timeline-canvas]').boundingBox())!
  await pb.mouse.click(box.x + 330, box.y + 26 + 30)
  await pb.keyboard.press('Shift+ArrowRight')
  await pa.mouse.click(box.x + 130, box.y + 26 + 30)
  for (let i = 0; i < 9; i++) await pa.keyboard.press('Shift+ArrowRight')
  await pa.waitForTimeout(800)
  await pa.screenshot({ path: `${out}/timeline-ada.png` })
  await pb.screenshot({ path: `${out}/timeline-ben.png` })
  const vera = await stack.contextFor(stack.people.Vera!)
  const pv = await stack.openDocument(vera, tl)
  await pv.waitForSelector('[data-testid=read-only-banner]')
  await pv.waitForTimeout(800)
  await pv.screenshot({ path: `${out}/timeline-viewer-vera.png` })
  const ta = await stack.openDocument(ada, tr)
  const tb = await stack.openDocument(ben, tr)
  await ta.waitForSelector('[data-testid=transcript-editor] [data-word]')
  await tb.waitForSelector('[data-testid=transcript-editor] [data-word]')
  await ta.locator('[data-testid=transcript-editor] p').nth(0).click()
  await tb.locator('[data-testid=transcript-editor] p').nth(2).click()
  await ta.waitForTimeout(800)
  await ta.screenshot({ path: `${out}/transcript-ada.png` })
  await tb.screenshot({ path: `${out}/transcript-ben.png` })
  const ra = await stack.openDocument(ada, rt)
  await ra.waitForSelector('[data-testid=retell-editor]')
  await ra.click('button:has-text("+ Chapter")')
  await ra.keyboard.type('Chapter 1: The garage')
  await ra.click('button:has-text("+ Narration")')
  await ra.keyboard.type('It started with two laptops and an old camera.')
  await ra.selectOption('[data-testid=linked-timeline]', { label: 'Launch film — cut 3' })
  await ra.waitForSelector('.clip-list input[type=checkbox]')
  const boxes = ra.locator('.clip-list input[type=checkbox]')
  await boxes.nth(0).check()
  await boxes.nth(1).check()
  await ra.click('button:has-text("Insert selected shots")')
  await ra.waitForTimeout(800)
  await ra.screenshot({ path: `${out}/retell-ada.png` })
  const pp = await ada.newPage()
  await pp.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await pp.waitForTimeout(1500)
  await pp.screenshot({ path: `${out}/project.png` })
} finally {
  await stack.close()
}
