import { ROLES } from '@cutroom/schema'
import { z } from 'zod'

/**
 * Shared input fields. Ids are bounded strings rather than strict UUIDs so that a malformed id of another
 * tenant's shape and a well-formed missing one both answer NOT_FOUND from the access checks.
 */
export const Id = z.string().min(1).max(64)
export const RoleInput = z.enum(ROLES)
export const DisplayName = z.string().trim().min(1, 'Enter a name.').max(120)
