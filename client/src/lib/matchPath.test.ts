import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { matchPath } from './matchPath'

test('routes match whole paths and yield their params', () => {
  assert.equal(matchPath('/projects/:projectId', '/projects/abc'), { projectId: 'abc' })
  assert.equal(matchPath('/projects/:projectId/docs/:documentId', '/projects/p1/docs/d2/'), {
    projectId: 'p1',
    documentId: 'd2',
  })
  assert.is(matchPath('/projects/:projectId', '/projects/abc/docs/d'), null)
  assert.is(matchPath('/projects/:projectId', '/project/abc'), null)
  assert.equal(matchPath('/', '/'), {})
})

test('encoded segments are decoded; malformed ones do not match instead of throwing', () => {
  assert.equal(matchPath('/p/:name', '/p/a%20b'), { name: 'a b' })
  assert.is(matchPath('/p/:name', '/p/%E0%A4%A'), null)
})

test.run()
