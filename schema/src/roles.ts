/** Roles, highest first. */
export const ROLES = ['owner', 'admin', 'editor', 'reviewer', 'viewer'] as const
export type Role = (typeof ROLES)[number]

export const DOCUMENT_KINDS = ['timeline', 'transcript', 'retell', 'qa', 'qa-workflow'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]

export type DocumentAccess = 'write' | 'read'

/** Rank of a role: higher means more rights. */
export function roleRank(role: Role): number {
  return ROLES.length - ROLES.indexOf(role)
}

/** True when `role` is `min` or higher. */
export function roleAtLeast(role: Role, min: Role): boolean {
  return roleRank(role) >= roleRank(min)
}

/**
 * The permission matrix for documents. `qa-workflow` is written only by the server, so every role reads it;
 * its changes go through `qa.*` mutations.
 */
export const DOCUMENT_PERMISSIONS: Record<Role, Record<DocumentKind, DocumentAccess>> = {
  owner: { timeline: 'write', transcript: 'write', retell: 'write', qa: 'write', 'qa-workflow': 'read' },
  admin: { timeline: 'write', transcript: 'write', retell: 'write', qa: 'write', 'qa-workflow': 'read' },
  editor: { timeline: 'write', transcript: 'write', retell: 'write', qa: 'write', 'qa-workflow': 'read' },
  reviewer: { timeline: 'read', transcript: 'read', retell: 'read', qa: 'write', 'qa-workflow': 'read' },
  viewer: { timeline: 'read', transcript: 'read', retell: 'read', qa: 'read', 'qa-workflow': 'read' },
}

export function documentAccess(role: Role, kind: DocumentKind): DocumentAccess {
  return DOCUMENT_PERMISSIONS[role][kind]
}

/** Organization-level actions and the lowest role allowed to take each. */
export const ACTION_MIN_ROLE = {
  'org.read': 'viewer',
  'org.manageMembers': 'admin',
  'org.manageApiKeys': 'admin',
  'org.readAudit': 'admin',
  'org.manageBilling': 'owner',
  'org.readBilling': 'admin',
  'org.manageWebhooks': 'admin',
  'project.create': 'editor',
  'project.read': 'viewer',
  'project.update': 'editor',
  'project.delete': 'admin',
  'document.create': 'editor',
  'document.read': 'viewer',
  'document.version': 'editor',
  'asset.upload': 'editor',
  'asset.read': 'viewer',
  'job.dispatch': 'editor',
  'job.read': 'viewer',
  'qa.review': 'reviewer',
  'brandKit.read': 'viewer',
  'brandKit.manage': 'editor',
} as const satisfies Record<string, Role>
export type Action = keyof typeof ACTION_MIN_ROLE

export function can(role: Role, action: Action): boolean {
  return roleAtLeast(role, ACTION_MIN_ROLE[action])
}

/**
 * Who may change a finding's workflow (`qa.*`), per change. Not a rank: editors may start and submit work but
 * not approve it. `start` and `submit` are also open to the finding's assignee (unless a viewer); viewers
 * change nothing.
 */
export const QA_WORKFLOW_ROLES = {
  assign: ['owner', 'admin', 'editor', 'reviewer'],
  setDue: ['owner', 'admin', 'editor', 'reviewer'],
  block: ['owner', 'admin', 'editor', 'reviewer'],
  reopen: ['owner', 'admin', 'editor', 'reviewer'],
  approve: ['owner', 'admin', 'reviewer'],
  request_changes: ['owner', 'admin', 'reviewer'],
  start: ['owner', 'admin', 'editor'],
  submit: ['owner', 'admin', 'editor'],
} as const satisfies Record<string, readonly Role[]>
export type QaWorkflowChange = keyof typeof QA_WORKFLOW_ROLES
/** Workflow changes the assignee may make whatever their role (viewers excepted). */
export const QA_ASSIGNEE_CHANGES: readonly QaWorkflowChange[] = ['start', 'submit']
