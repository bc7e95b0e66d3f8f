import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { can, documentAccess, ROLES, roleAtLeast } from './roles'

test('roles are ordered owner > admin > editor > reviewer > viewer', () => {
  for (let i = 0; i < ROLES.length; i++)
    for (let j = 0; j < ROLES.length; j++) assert.is(roleAtLeast(ROLES[i]!, ROLES[j]!), i <= j, `${ROLES[i]} vs ${ROLES[j]}`)
})

test('reviewers read timelines, transcripts and retell scripts but write QA trails', () => {
  assert.is(documentAccess('reviewer', 'timeline'), 'read')
  assert.is(documentAccess('reviewer', 'transcript'), 'read')
  assert.is(documentAccess('reviewer', 'retell'), 'read')
  assert.is(documentAccess('reviewer', 'qa'), 'write')
})

test('nobody writes qa-workflow through the collab server', () => {
  for (const role of ROLES) assert.is(documentAccess(role, 'qa-workflow'), 'read')
})

test('viewers read everything and write nothing', () => {
  for (const kind of ['timeline', 'transcript', 'retell', 'qa', 'qa-workflow'] as const)
    assert.is(documentAccess('viewer', kind), 'read')
  assert.not.ok(can('viewer', 'document.create'))
})

test('only owners and admins manage members', () => {
  assert.ok(can('owner', 'org.manageMembers'))
  assert.ok(can('admin', 'org.manageMembers'))
  assert.not.ok(can('editor', 'org.manageMembers'))
})

test.run()
