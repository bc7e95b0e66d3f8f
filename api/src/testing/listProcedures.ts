import { appRouter } from '../router'

/** Every procedure path of the root router (`orgs.members.add`, ...), for completeness checks in tests. */
export function listProcedures(): string[] {
  return Object.keys(appRouter._def.procedures)
}
