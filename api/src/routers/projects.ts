import { tables } from '@cutroom/schema'
import { asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { loadProjectForPrincipal, requireOrgRole } from '../access'
import { writeAudit } from '../audit'
import { idempotent } from '../idempotency'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { DisplayName, Id } from './inputs'

const projectColumns = {
  id: tables.projects.id,
  orgId: tables.projects.orgId,
  name: tables.projects.name,
  fpsNum: tables.projects.fpsNum,
  fpsDen: tables.projects.fpsDen,
  sampleRate: tables.projects.sampleRate,
  createdAt: tables.projects.createdAt,
}

/** Frame rate as a rational (30000/1001) and audio sample rate, as the document models expect. */
const Timebase = {
  fpsNum: z.number().int().min(1).max(240000).default(30),
  fpsDen: z.number().int().min(1).max(10000).default(1),
  sampleRate: z
    .number()
    .int()
    .refine((r) => [32000, 44100, 48000, 96000].includes(r), 'Use 32000, 44100, 48000 or 96000.')
    .default(48000),
}

export const projectsRouter = router({
  create: authedProcedure
    .use(rateLimit('projects.create', 200, 60 * 60))
    .use(idempotent)
    .input(z.object({ orgId: Id, name: DisplayName, ...Timebase }))
    .mutation(async ({ ctx, input }) => {
      await requireOrgRole(ctx, input.orgId, 'project.create')
      return ctx.services.db.transaction(async (tx) => {
        const [project] = await tx
          .insert(tables.projects)
          .values({
            orgId: input.orgId,
            name: input.name,
            fpsNum: input.fpsNum,
            fpsDen: input.fpsDen,
            sampleRate: input.sampleRate,
            createdBy: actorOf(ctx.principal).userId,
          })
          .returning(projectColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: input.orgId,
          action: 'project.create',
          targetType: 'project',
          targetId: project!.id,
          details: { name: input.name },
        })
        return project!
      })
    }),

  list: authedProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'project.read')
    return ctx.services.db
      .select(projectColumns)
      .from(tables.projects)
      .where(eq(tables.projects.orgId, input.orgId))
      .orderBy(asc(tables.projects.createdAt))
  }),

  /** The project and the caller's role in its organization. */
  get: authedProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const { project, role } = await loadProjectForPrincipal(ctx, input.id, 'project.read')
    return { ...project, role }
  }),

  rename: authedProcedure.input(z.object({ id: Id, name: DisplayName })).mutation(async ({ ctx, input }) => {
    const { project } = await loadProjectForPrincipal(ctx, input.id, 'project.update')
    return ctx.services.db.transaction(async (tx) => {
      const [row] = await tx
        .update(tables.projects)
        .set({ name: input.name })
        .where(eq(tables.projects.id, project.id))
        .returning(projectColumns)
      await writeAudit(tx, ctx.principal, {
        orgId: project.orgId,
        action: 'project.rename',
        targetType: 'project',
        targetId: project.id,
        details: { from: project.name, to: input.name },
      })
      return row!
    })
  }),

  /** Deletes a project with its documents and assets (admins and owners). */
  delete: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const { project } = await loadProjectForPrincipal(ctx, input.id, 'project.delete')
    await ctx.services.db.transaction(async (tx) => {
      await tx.delete(tables.projects).where(eq(tables.projects.id, project.id))
      await writeAudit(tx, ctx.principal, {
        orgId: project.orgId,
        action: 'project.delete',
        targetType: 'project',
        targetId: project.id,
        details: { name: project.name },
      })
    })
    return { ok: true as const }
  }),
})
