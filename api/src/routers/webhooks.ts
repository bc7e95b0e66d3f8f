import { ErrorCode, isUuid, newMessageId, tables, WEBHOOK_EVENTS, WEBHOOK_URL_MAX } from '@cutroom/schema'
import { and, desc, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import type { Context } from '../context'
import type { Principal } from '../principal'
import { actorOf } from '../principal'
import { notifyOutbox } from '../webhooks/notifyOutbox'
import { PrivateTargetError, resolveTarget } from '../webhooks/publicAddress'
import { encryptSecret, newWebhookSecret } from '../webhooks/webhookSecrets'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

type Authed = Pick<Context, 'services'> & { principal: Principal }

const WebhookUrl = z
  .string()
  .trim()
  .max(WEBHOOK_URL_MAX, `A webhook URL has at most ${WEBHOOK_URL_MAX} characters.`)
  .refine((v) => {
    try {
      const u = new URL(v)
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password
    } catch {
      return false
    }
  }, 'Give an http:// or https:// URL without a user name or password in it.')
const Events = z
  .array(z.enum(WEBHOOK_EVENTS, { message: `Events are among: ${WEBHOOK_EVENTS.join(', ')}.` }))
  .min(1, 'Subscribe to at least one event.')
  .max(WEBHOOK_EVENTS.length)
  .transform((e) => [...new Set(e)])
const Description = z.string().trim().max(200)

const webhookColumns = {
  id: tables.webhooks.id,
  orgId: tables.webhooks.orgId,
  url: tables.webhooks.url,
  events: tables.webhooks.events,
  description: tables.webhooks.description,
  enabled: tables.webhooks.enabled,
  disabledReason: tables.webhooks.disabledReason,
  createdAt: tables.webhooks.createdAt,
}

function encryptionKey(ctx: Authed): string {
  const key = ctx.services.config.WEBHOOKS_ENCRYPTION_KEY
  if (!key)
    throw apiError(
      ErrorCode.WEBHOOKS_NOT_CONFIGURED,
      'Webhooks are not set up on this deployment: the operator sets WEBHOOKS_ENCRYPTION_KEY (openssl rand -hex 32).',
    )
  return key
}

/** Refuses a target that resolves to a private, loopback or link-local address (unless the deployment allows it). */
async function checkTarget(ctx: Authed, url: string): Promise<void> {
  try {
    await resolveTarget(new URL(url).hostname, ctx.services.config.WEBHOOKS_ALLOW_PRIVATE)
  } catch (err) {
    if (err instanceof PrivateTargetError)
      throw apiError(
        ErrorCode.BAD_INPUT,
        'That URL points at a private, loopback or link-local address, or does not resolve; use a public address.',
      )
    throw apiError(ErrorCode.BAD_INPUT, "The URL's host does not resolve; check the address.")
  }
}

async function loadWebhook(ctx: Authed, id: string) {
  if (!isUuid(id)) throw apiError(ErrorCode.NOT_FOUND, 'Webhook not found.')
  const [hook] = await ctx.services.db.select(webhookColumns).from(tables.webhooks).where(eq(tables.webhooks.id, id))
  if (!hook) throw apiError(ErrorCode.NOT_FOUND, 'Webhook not found.')
  await requireOrgRole(ctx, hook.orgId, 'org.manageWebhooks')
  return hook
}

function poke(ctx: Authed) {
  ctx.services.webhooks?.poke()
}

/** `webhooks.*`: outbound endpoints of an organization, signed per Standard Webhooks. Admins and owners. */
export const webhooksRouter = router({
  create: authedProcedure
    .input(z.object({ orgId: Id, url: WebhookUrl, events: Events, description: Description.optional() }))
    .mutation(async ({ ctx, input }) => {
      await requireOrgRole(ctx, input.orgId, 'org.manageWebhooks')
      const key = encryptionKey(ctx)
      await checkTarget(ctx, input.url)
      const secret = newWebhookSecret()
      const hook = await ctx.services.db.transaction(async (tx) => {
        const [hook] = await tx
          .insert(tables.webhooks)
          .values({
            orgId: input.orgId,
            url: input.url,
            events: input.events,
            description: input.description ?? '',
            secretCiphertext: encryptSecret(secret, key),
            createdBy: actorOf(ctx.principal).userId,
          })
          .returning(webhookColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: input.orgId,
          action: 'webhook.create',
          targetType: 'webhook',
          targetId: hook!.id,
          details: { url: input.url, events: input.events },
        })
        return hook!
      })
      return { ...hook, secret }
    }),

  list: authedProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.manageWebhooks')
    return ctx.services.db
      .select(webhookColumns)
      .from(tables.webhooks)
      .where(eq(tables.webhooks.orgId, input.orgId))
      .orderBy(desc(tables.webhooks.createdAt))
      .limit(100)
  }),

  /** Changes the URL, events or description; `enabled: true` turns a disabled endpoint back on. */
  update: authedProcedure
    .input(
      z.object({
        id: Id,
        url: WebhookUrl.optional(),
        events: Events.optional(),
        description: Description.optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const hook = await loadWebhook(ctx, input.id)
      if (input.url) await checkTarget(ctx, input.url)
      const change = {
        ...(input.url !== undefined ? { url: input.url } : {}),
        ...(input.events !== undefined ? { events: input.events } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled, disabledReason: null, failingSince: null } : {}),
      }
      if (Object.keys(change).length === 0) return hook
      return ctx.services.db.transaction(async (tx) => {
        const [updated] = await tx
          .update(tables.webhooks)
          .set(change)
          .where(eq(tables.webhooks.id, hook.id))
          .returning(webhookColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: hook.orgId,
          action: 'webhook.update',
          targetType: 'webhook',
          targetId: hook.id,
          details: { url: input.url, events: input.events, enabled: input.enabled },
        })
        return updated!
      })
    }),

  delete: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const hook = await loadWebhook(ctx, input.id)
    await ctx.services.db.transaction(async (tx) => {
      await tx.delete(tables.webhooks).where(eq(tables.webhooks.id, hook.id))
      await writeAudit(tx, ctx.principal, {
        orgId: hook.orgId,
        action: 'webhook.delete',
        targetType: 'webhook',
        targetId: hook.id,
        details: { url: hook.url },
      })
    })
    return { ok: true as const }
  }),

  /** A new signing secret, shown once; the old one stops working at once. */
  rotateSecret: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const hook = await loadWebhook(ctx, input.id)
    const secret = newWebhookSecret()
    const ciphertext = encryptSecret(secret, encryptionKey(ctx))
    await ctx.services.db.transaction(async (tx) => {
      await tx.update(tables.webhooks).set({ secretCiphertext: ciphertext }).where(eq(tables.webhooks.id, hook.id))
      await writeAudit(tx, ctx.principal, {
        orgId: hook.orgId,
        action: 'webhook.rotateSecret',
        targetType: 'webhook',
        targetId: hook.id,
      })
    })
    return { id: hook.id, secret }
  }),

  /** Queues a `webhook.test` message to this endpoint (whatever its events), delivered like any other. */
  test: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const hook = await loadWebhook(ctx, input.id)
    if (!hook.enabled) throw apiError(ErrorCode.INVALID_STATE, 'This endpoint is disabled; enable it first.')
    const id = newMessageId()
    await ctx.services.db.transaction(async (tx) => {
      await tx.insert(tables.webhookDeliveries).values({
        id,
        webhookId: hook.id,
        orgId: hook.orgId,
        event: 'webhook.test',
        payload: { type: 'webhook.test', timestamp: new Date().toISOString(), data: { webhookId: hook.id } },
        nextAttemptAt: new Date(),
      })
      await notifyOutbox(tx)
      await writeAudit(tx, ctx.principal, {
        orgId: hook.orgId,
        action: 'webhook.test',
        targetType: 'webhook',
        targetId: hook.id,
      })
    })
    poke(ctx)
    return { deliveryId: id }
  }),

  /** The delivery log of one endpoint, newest first, with every attempt's status code and duration. */
  deliveries: authedProcedure
    .input(z.object({ webhookId: Id, limit: z.number().int().min(1).max(200).default(50) }))
    .query(async ({ ctx, input }) => {
      const hook = await loadWebhook(ctx, input.webhookId)
      const db = ctx.services.db
      const rows = await db
        .select({
          id: tables.webhookDeliveries.id,
          event: tables.webhookDeliveries.event,
          status: tables.webhookDeliveries.status,
          attempts: tables.webhookDeliveries.attempts,
          nextAttemptAt: tables.webhookDeliveries.nextAttemptAt,
          lastStatusCode: tables.webhookDeliveries.lastStatusCode,
          lastDurationMs: tables.webhookDeliveries.lastDurationMs,
          lastError: tables.webhookDeliveries.lastError,
          createdAt: tables.webhookDeliveries.createdAt,
          deliveredAt: tables.webhookDeliveries.deliveredAt,
        })
        .from(tables.webhookDeliveries)
        .where(eq(tables.webhookDeliveries.webhookId, hook.id))
        .orderBy(desc(tables.webhookDeliveries.createdAt))
        .limit(input.limit)
      const attempts = rows.length
        ? await db
            .select({
              deliveryId: tables.webhookAttempts.deliveryId,
              attempt: tables.webhookAttempts.attempt,
              statusCode: tables.webhookAttempts.statusCode,
              durationMs: tables.webhookAttempts.durationMs,
              error: tables.webhookAttempts.error,
              at: tables.webhookAttempts.at,
            })
            .from(tables.webhookAttempts)
            .where(
              inArray(
                tables.webhookAttempts.deliveryId,
                rows.map((r) => r.id),
              ),
            )
            .orderBy(tables.webhookAttempts.id)
        : []
      return rows.map((r) => ({ ...r, log: attempts.filter((a) => a.deliveryId === r.id) }))
    }),

  /** Sends a delivery again now, with the same `webhook-id` (receivers that already have it can drop it). */
  redeliver: authedProcedure
    .input(z.object({ deliveryId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const [row] = await ctx.services.db
        .select({
          id: tables.webhookDeliveries.id,
          webhookId: tables.webhookDeliveries.webhookId,
          status: tables.webhookDeliveries.status,
        })
        .from(tables.webhookDeliveries)
        .where(eq(tables.webhookDeliveries.id, input.deliveryId))
      if (!row) throw apiError(ErrorCode.NOT_FOUND, 'Delivery not found.')
      const hook = await loadWebhook(ctx, row.webhookId).catch(() => {
        throw apiError(ErrorCode.NOT_FOUND, 'Delivery not found.')
      })
      if (!hook.enabled) throw apiError(ErrorCode.INVALID_STATE, 'This endpoint is disabled; enable it first.')
      await ctx.services.db.transaction(async (tx) => {
        await tx
          .update(tables.webhookDeliveries)
          .set({ status: 'pending', attempts: 0, nextAttemptAt: new Date() })
          .where(and(eq(tables.webhookDeliveries.id, row.id)))
        await notifyOutbox(tx)
        await writeAudit(tx, ctx.principal, {
          orgId: hook.orgId,
          action: 'webhook.redeliver',
          targetType: 'webhook_delivery',
          targetId: row.id,
        })
      })
      poke(ctx)
      return { deliveryId: row.id }
    }),
})
