import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ApiServices } from './services'

/** What every procedure sees: the shared services and the HTTP exchange (absent in createCaller tests). */
export interface Context {
  services: ApiServices
  req?: IncomingMessage
  res?: ServerResponse
}

export function createContext(services: ApiServices, req?: IncomingMessage, res?: ServerResponse): Context {
  return { services, req, res }
}
