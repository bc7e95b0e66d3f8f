import {
  type Action,
  ACTION_MIN_ROLE,
  can,
  type DocumentAccess,
  documentAccess,
  ErrorCode,
  isUuid,
  type Role,
  tables,
} from '@cutroom/schema'
import { and, eq } from 'drizzle-orm'
import { apiError } from './apiError'
import type { Context } from './context'
import type { Principal } from './principal'

type AuthedContext = Pick<Context, 'services'> & { principal: Principal }

/** The principal's role in an organization, or null when it has none there (or the org does not exist). */
export async function orgRoleOf(ctx: AuthedContext, orgId: string): Promise<Role | null> {
  const p = ctx.principal
  if (p.kind === 'apiKey') return p.orgId === orgId ? p.role : null
  if (!isUuid(orgId)) return null
  const [row] = await ctx.services.db
    .select({ role: tables.memberships.role })
    .from(tables.memberships)
    .where(and(eq(tables.memberships.orgId, orgId), eq(tables.memberships.userId, p.user.id)))
  return row?.role ?? null
}

function forbidden(role: Role, action: Action) {
  return apiError(
    ErrorCode.FORBIDDEN_ROLE,
    `Your role (${role}) cannot do this (${action}); it needs ${ACTION_MIN_ROLE[action]} or higher.`,
  )
}

/**
 * Checks that the principal may take `action` in the organization and returns its role. Throws NOT_FOUND
 * when the principal is not in that organization (whether or not it exists), FORBIDDEN_ROLE when the role is
 * too low.
 */
export async function requireOrgRole(ctx: AuthedContext, orgId: string, action: Action): Promise<Role> {
  const role = await orgRoleOf(ctx, orgId)
  if (!role) throw apiError(ErrorCode.NOT_FOUND, 'Organization not found.')
  if (!can(role, action)) throw forbidden(role, action)
  return role
}

export interface ProjectRow {
  id: string
  orgId: string
  name: string
  fpsNum: number
  fpsDen: number
  sampleRate: number
  createdAt: Date
}

const projectColumns = {
  id: tables.projects.id,
  orgId: tables.projects.orgId,
  name: tables.projects.name,
  fpsNum: tables.projects.fpsNum,
  fpsDen: tables.projects.fpsDen,
  sampleRate: tables.projects.sampleRate,
  createdAt: tables.projects.createdAt,
}

/**
 * Loads a project the principal may take `action` on. Another tenant's project and a missing one give the
 * same NOT_FOUND.
 */
export async function loadProjectForPrincipal(
  ctx: AuthedContext,
  projectId: string,
  action: Action,
): Promise<{ project: ProjectRow; role: Role }> {
  const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Project not found.')
  if (!isUuid(projectId)) throw notFound()
  const [project] = await ctx.services.db
    .select(projectColumns)
    .from(tables.projects)
    .where(eq(tables.projects.id, projectId))
  if (!project) throw notFound()
  const role = await orgRoleOf(ctx, project.orgId)
  if (!role) throw notFound()
  if (!can(role, action)) throw forbidden(role, action)
  return { project, role }
}

export interface DocumentRow {
  id: string
  projectId: string
  kind: (typeof tables.documents.kind.enumValues)[number]
  title: string
  createdAt: Date
  updatedAt: Date
}

/**
 * Loads a document the principal may take `action` on, with its project, the role and the document access
 * (read/write) that role has on this kind. Another tenant's document and a missing one give the same NOT_FOUND.
 */
export async function loadDocumentForPrincipal(
  ctx: AuthedContext,
  documentId: string,
  action: Action,
): Promise<{ document: DocumentRow; project: ProjectRow; role: Role; access: DocumentAccess }> {
  const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Document not found.')
  if (!isUuid(documentId)) throw notFound()
  const [row] = await ctx.services.db
    .select({
      document: {
        id: tables.documents.id,
        projectId: tables.documents.projectId,
        kind: tables.documents.kind,
        title: tables.documents.title,
        createdAt: tables.documents.createdAt,
        updatedAt: tables.documents.updatedAt,
      },
      project: projectColumns,
    })
    .from(tables.documents)
    .innerJoin(tables.projects, eq(tables.projects.id, tables.documents.projectId))
    .where(eq(tables.documents.id, documentId))
  if (!row) throw notFound()
  const role = await orgRoleOf(ctx, row.project.orgId)
  if (!role) throw notFound()
  if (!can(role, action)) throw forbidden(role, action)
  return { ...row, role, access: documentAccess(role, row.document.kind) }
}
