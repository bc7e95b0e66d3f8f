export { createTestApi, type TestApi } from './createTestApi'
export { startTestApiServer, type TestApiServer } from './startTestApiServer'
export { listProcedures } from './listProcedures'
export { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
