import type { IncomingMessage } from 'node:http'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { clientAddress } from './clientAddress'

const req = (xff: string | undefined) =>
  ({
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    socket: { remoteAddress: '10.0.0.9' },
  }) as unknown as IncomingMessage

test('without a trusted proxy the socket address counts and X-Forwarded-For is ignored', () => {
  assert.is(clientAddress(req('1.2.3.4'), false), '10.0.0.9')
})

test('behind a trusted proxy the hop it appended counts, not what the client claimed', () => {
  assert.is(clientAddress(req('6.6.6.6, 203.0.113.7'), true), '203.0.113.7')
  assert.is(clientAddress(req(undefined), true), '10.0.0.9')
  assert.is(clientAddress(req(''), true), '10.0.0.9')
})

test.run()
