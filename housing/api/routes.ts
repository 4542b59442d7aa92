import type { Client } from '@temporalio/client';
import { type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { type UpdateDefinition, WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db/database';
import type { EventStore } from '../../platform/eventstore';
import { actorOf, requireRole } from '../../platform/http/auth';
import { queryInt } from '../../platform/http/query-params';
import { ROLES, type Role } from '../../platform/security/roles';
import { recordRefusedAttempt } from '../activities/attempts';
import { storePayeeAccount } from '../activities/payment';
import { housingProgressReport } from '../activities/report';
import type { HousingDeps } from '../context';
import {
  addFundsUpdate,
  decideApprovalUpdate,
  decideAreaExceptionUpdate,
  decideCaseByCaseUpdate,
  fileSurveyReportUpdate,
  type HousingActor,
  type ListingTiming,
  listingProgressQuery,
  listingWorkflowId,
  PURCHASE_PLAN_ID,
  planStateQuery,
  reissueSellerPaymentUpdate,
  submitAppraisalUpdate,
  submitOfferUpdate,
  unwindPurchaseUpdate,
} from '../contracts/definitions';
import type { AttemptedAction } from '../contracts/events';
import { housingStreams } from '../contracts/events';
import {
  listingIntakeSchema,
  recordBuildingIntent,
  recordComplexIntent,
  regionCode,
  registerDemand,
  registerListing,
} from '../services/intake';
import { ensurePurchasePlan, startListingWorkflow } from '../services/starter';

/** What the housing routes use of the API's deps (app/api/server.ts passes its ApiDeps). */
export interface HousingApiDeps {
  db: Db;
  store: EventStore;
  temporal: Client;
  taskQueue: string;
  /** The API's one set of deps (db, store, vault, bank), which listings are registered with. */
  subsidy: Omit<HousingDeps, 'housing'>;
  housing?: HousingApiOptions;
}

/** Settings of the housing routes: the plan listings wait in, and (tests, bench) shorter waits. */
export interface HousingApiOptions {
  planId?: string;
  timing?: ListingTiming;
}

const fen = z.number().int().positive();
const listingParams = z.object({ listingId: z.string().regex(/^HL-[0-9a-f]{16}$/) });
const text = (max: number) => z.string().trim().min(1).max(max);
const decisionBody = z.object({ granted: z.boolean(), reason: text(1000) });

const READERS = ['housing_task_force', 'appraiser', 'finance', 'auditor', 'administrator'] as const;

const listingIdOf = (handle: WorkflowHandle) => handle.workflowId.replace(/^housing-listing-/, '');

function actorFrom(request: FastifyRequest): HousingActor {
  return { subject: request.actor!.subject, role: request.actor!.role };
}

/** The innermost cause's message: an Update failed by an activity carries the activity's reason at the bottom. */
function deepestMessage(error: Error): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** An Update the workflow refused (its validator: above the cap, four eyes, wrong stage) is 409 with the reason. */
async function viaUpdate<T>(
  reply: FastifyReply,
  send: () => Promise<T>,
  refused?: (message: string) => Promise<unknown>,
): Promise<T | undefined> {
  try {
    return await send();
  } catch (error) {
    const closed = error instanceof WorkflowNotFoundError;
    if (!(error instanceof WorkflowUpdateFailedError) && !closed) throw error;
    const message = closed ? 'this listing has ended or does not exist' : deepestMessage(error);
    await refused?.(message);
    void reply.status(409).send({ error: 'refused', message });
    return undefined;
  }
}

/**
 * The housing purchase over HTTP (许政办〔2025〕10号): the listing platform (工作任务(一)) and every human
 * step of a listing's workflow. Mutating routes need a token of the role that may take the step;
 * the workflow's validators check the role and the four-eyes rule again.
 */
export function housingRoutes(deps: HousingApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const planId = deps.housing?.planId ?? PURCHASE_PLAN_ID;
    const { store, db } = deps;
    const listing = (id: string): WorkflowHandle => deps.temporal.workflow.getHandle(listingWorkflowId(id));
    const recordAttempt = (
      listingId: string,
      request: FastifyRequest,
      action: AttemptedAction,
      reason: string,
      detail?: Record<string, unknown>,
    ) =>
      recordRefusedAttempt(deps.subsidy, {
        listingId,
        action,
        actor: actorFrom(request),
        reason,
        ...(detail ? { detail } : {}),
      });
    const update =
      <A>(def: UpdateDefinition<unknown, [A]>, args: A) =>
      (handle: WorkflowHandle) =>
        handle.executeUpdate(def, { args: [args] });

    app.post(
      '/housing/listings',
      {
        preHandler: requireRole('housing_task_force', 'administrator'),
        schema: {
          summary: 'Register a listing (房源超市) and start its purchase workflow',
          tags: ['housing'],
          body: listingIntakeSchema,
        },
      },
      async (request, reply) => {
        const body = request.body;
        const registered = await registerListing(
          deps.subsidy,
          { ...body, registeredOn: new Date().toISOString().slice(0, 10) },
          actorOf(request),
        );
        if (!registered.created) {
          const { existing } = registered;
          // Only a post whose workflow never started (a crash after the record) gets it now; an ended one stays ended.
          const row = await db
            .selectFrom('housing_listings')
            .select(['kind', 'region'])
            .where('listing_id', '=', existing.listingId)
            .executeTakeFirstOrThrow();
          await startListingWorkflow(
            deps.temporal,
            deps.taskQueue,
            { listingId: existing.listingId, kind: row.kind as 'new_stock' | 'second_hand', region: row.region },
            {
              planId,
              ...(deps.housing?.timing ? { timing: deps.housing.timing } : {}),
            },
          );
          await recordAttempt(
            existing.listingId,
            request,
            'repost',
            `this home is already listed as ${existing.listingId} (${existing.matchedBy}), stage ${existing.stage}`,
          );
          return reply.status(409).send({
            error: 'listing_exists',
            message: `this home is already listed as ${existing.listingId} (same ${existing.matchedBy === 'property_certificate' ? 'property certificate' : 'address and unit'}), stage ${existing.stage}`,
            listingId: existing.listingId,
            stage: existing.stage,
            status: existing.status,
          });
        }
        const started = await startListingWorkflow(
          deps.temporal,
          deps.taskQueue,
          { listingId: registered.listingId, kind: body.kind, region: body.region },
          {
            planId,
            ...(deps.housing?.timing ? { timing: deps.housing.timing } : {}),
          },
        );
        return reply
          .status(201)
          .send({ listingId: registered.listingId, workflowId: started.workflowId, created: true });
      },
    );

    app.post(
      '/housing/demand',
      {
        preHandler: requireRole('housing_task_force', 'administrator'),
        schema: {
          summary: 'Register demand for affordable rental housing in a region (以需定购)',
          tags: ['housing'],
          body: z.object({ region: regionCode, units: z.number().int().positive(), reference: text(100) }),
        },
      },
      async (request, reply) => {
        await registerDemand(deps, request.body, actorOf(request));
        return reply.status(201).send({ region: request.body.region });
      },
    );

    app.post(
      '/housing/buildings',
      {
        preHandler: requireRole('housing_task_force', 'administrator'),
        schema: {
          summary: "Record a building's owner survey (share willing to sell, 组织实施(二))",
          tags: ['housing'],
          body: z
            .object({
              complex: text(100),
              building: text(20),
              ownersTotal: z.number().int().positive(),
              ownersWilling: z.number().int().min(0),
              reference: text(100),
            })
            .refine((b) => b.ownersWilling <= b.ownersTotal, 'more willing owners than owners'),
        },
      },
      async (request, reply) =>
        reply.status(201).send(await recordBuildingIntent(deps, request.body, actorOf(request))),
    );

    app.post(
      '/housing/complexes',
      {
        preHandler: requireRole('housing_task_force', 'administrator'),
        schema: {
          summary:
            "Record a residential complex's owner survey (小区 as a whole; more than 80 % willing goes first, 组织实施(二))",
          tags: ['housing'],
          body: z
            .object({
              complex: text(100),
              ownersTotal: z.number().int().positive(),
              ownersWilling: z.number().int().min(0),
              reference: text(100),
            })
            .refine((b) => b.ownersWilling <= b.ownersTotal, 'more willing owners than owners'),
        },
      },
      async (request, reply) => reply.status(201).send(await recordComplexIntent(deps, request.body, actorOf(request))),
    );

    app.get(
      '/housing/listings',
      {
        preHandler: requireRole(...READERS),
        schema: {
          summary: 'Listings, e.g. ?stage=survey (a work list)',
          tags: ['housing'],
          querystring: z.object({ stage: z.string().max(40).optional(), limit: queryInt(1, 1000, 100) }),
        },
      },
      async (request) => {
        let query = db.selectFrom('housing_listings').selectAll().orderBy('updated_at').limit(request.query.limit);
        if (request.query.stage) query = query.where('stage', '=', request.query.stage);
        return { listings: await query.execute() };
      },
    );

    app.get(
      '/housing/listings/:listingId',
      {
        preHandler: requireRole(...READERS),
        schema: { summary: "A listing's record and its workflow's progress", tags: ['housing'], params: listingParams },
      },
      async (request, reply) => {
        const row = await db
          .selectFrom('housing_listings')
          .selectAll()
          .where('listing_id', '=', request.params.listingId)
          .executeTakeFirst();
        if (!row) return reply.status(404).send({ error: 'not_found', message: 'no such listing' });
        const progress = await listing(request.params.listingId)
          .query(listingProgressQuery)
          .catch(() => undefined);
        return { listing: row, progress };
      },
    );

    app.get(
      '/housing/listings/:listingId/events',
      {
        preHandler: requireRole(...READERS),
        schema: {
          summary: 'Every recorded decision of a listing, in order (保障措施(三))',
          tags: ['housing'],
          params: listingParams,
        },
      },
      async (request) => ({ events: await store.readStream(housingStreams.listing(request.params.listingId)) }),
    );

    // Every token may reach a listing's step, so that one of the wrong role is refused here and recorded
    // (an out-of-role decision is an attempt too); the workflow's validators check the role again.
    const step = <B extends z.ZodType>(
      path: string,
      action: AttemptedAction,
      roles: readonly Role[],
      summary: string,
      body: B,
      send: (b: z.infer<B>, actor: HousingActor) => (h: WorkflowHandle) => Promise<unknown>,
      detailOf: (b: z.infer<B>) => Record<string, unknown> = (b) => b as Record<string, unknown>,
    ) =>
      app.post(
        `/housing/listings/:listingId/${path}`,
        {
          preHandler: requireRole(...ROLES),
          schema: {
            summary: `${summary} (roles: ${roles.join(', ')})`,
            tags: ['housing'],
            params: listingParams,
            body,
          },
        },
        async (request, reply) => {
          const { listingId } = request.params as { listingId: string };
          const b = request.body as z.infer<B>;
          const actor = actorFrom(request);
          if (!roles.includes(actor.role as Role)) {
            const message = `role ${actor.role} may not do this (needs ${roles.join(' or ')})`;
            await recordAttempt(listingId, request, action, message, detailOf(b));
            return reply.status(403).send({ error: 'forbidden', message });
          }
          const progress = await viaUpdate(
            reply,
            () => send(b, actor)(listing(listingId)),
            (message) => recordAttempt(listingId, request, action, message, detailOf(b)),
          );
          return progress === undefined ? reply : reply.send(progress);
        },
      );

    step(
      'area-exception',
      'area_exception',
      ['housing_task_force', 'administrator'],
      'Grant or refuse an exception for a home above 140 m² (组织实施(二))',
      decisionBody,
      (b, actor) => update(decideAreaExceptionUpdate, { ...b, actor }),
    );
    step(
      'case-decision',
      'case_by_case',
      ['housing_task_force', 'administrator'],
      'Case-by-case decision (一事一议) outside the core areas (组织实施(一))',
      decisionBody,
      (b, actor) => update(decideCaseByCaseUpdate, { ...b, actor }),
    );
    step(
      'survey',
      'survey',
      ['housing_task_force', 'appraiser'],
      'File the on-site survey report (实地勘验, 组织实施(四))',
      z.object({
        passed: z.boolean(),
        defects: z.array(text(500)).max(100).default([]),
        photoRefs: z.array(text(300)).max(200).default([]),
      }),
      (b, actor) => update(fileSurveyReportUpdate, { ...b, actor }),
    );
    step(
      'offers',
      'offer',
      ['housing_task_force', 'administrator'],
      'Make an offer; above the price cap it is refused (工作任务(三))',
      z.object({ priceFen: fen, sellerAccepted: z.boolean() }),
      (b, actor) => update(submitOfferUpdate, { ...b, actor }),
    );
    step(
      'approval',
      'approval',
      ['housing_task_force', 'administrator'],
      'Approve or refuse the agreed price (four eyes: never its negotiator)',
      z.object({ approved: z.boolean(), reason: z.string().trim().max(1000).default('') }),
      (b, actor) => update(decideApprovalUpdate, { ...b, actor }),
    );

    step(
      'appraisal',
      'appraisal',
      ['appraiser'],
      "The commissioned appraisal firm's report: value and monthly market rent in fen, the report's reference (工作任务(三)); only the firm named in the commission",
      z.object({
        reportRef: text(100),
        valueFen: fen,
        marketRentFen: fen,
        appraisedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      }),
      (b, actor) => update(submitAppraisalUpdate, { ...b, actor }),
    );
    step(
      'seller-payment/reissue',
      'seller_payment_reissue',
      ['housing_task_force', 'administrator'],
      'Re-issue a held seller payment to the corrected account (a new attempt and key; refused while an earlier attempt is settled or open at the bank)',
      z.object({
        bankCode: text(20),
        accountNo: z.string().regex(/^\d{8,30}$/),
        accountName: text(100),
        reason: text(1000),
      }),
      (b, actor) => async (handle) => {
        // The account goes to the vault here; the workflow and its history only ever see the ref and a mask.
        const { accountRef, accountMask } = await storePayeeAccount(deps.subsidy.vault, listingIdOf(handle), {
          bankCode: b.bankCode,
          accountNo: b.accountNo,
          name: b.accountName,
        });
        return handle.executeUpdate(reissueSellerPaymentUpdate, {
          args: [{ actor, accountRef, accountMask, reason: b.reason }],
        });
      },
      (b) => ({ accountMask: `****${b.accountNo.slice(-4)}`, reason: b.reason }),
    );
    step(
      'seller-payment/unwind',
      'seller_payment_unwind',
      ['housing_task_force', 'administrator'],
      'Unwind a purchase whose seller payment is held: loan, registration and contract undone, the reservation released',
      z.object({ reason: text(1000) }),
      (b, actor) => update(unwindPurchaseUpdate, { ...b, actor }),
    );

    app.post(
      '/housing/plan/funds',
      {
        preHandler: requireRole('finance', 'administrator'),
        schema: {
          summary: 'Record funds of the purchase plan: 异地建设费 as capital, or a loan capacity (组织实施(一))',
          tags: ['housing'],
          body: z.object({ source: z.enum(['capital', 'loan_capacity']), amountFen: fen, reference: text(100) }),
        },
      },
      async (request, reply) => {
        await ensurePurchasePlan(deps.temporal, deps.taskQueue, planId);
        const handle = deps.temporal.workflow.getHandle(planId);
        const state = await viaUpdate(reply, () =>
          handle.executeUpdate(addFundsUpdate, { args: [{ ...request.body, actor: actorFrom(request) }] }),
        );
        return state === undefined
          ? reply
          : reply.send({
              funds: state.funds,
              waiting: state.queue.length,
              reserved: Object.keys(state.reserved).length,
            });
      },
    );

    app.get(
      '/housing/report',
      {
        preHandler: requireRole(...READERS),
        schema: {
          summary:
            "The task force's weekly progress report: listings per stage, funds reserved and spent by source, handovers per region against demand (保障措施(二))",
          tags: ['housing'],
        },
      },
      async () => housingProgressReport(db, planId),
    );

    app.get(
      '/housing/plan',
      {
        preHandler: requireRole(...READERS),
        schema: { summary: 'The purchase plan: funds, waiting and admitted listings', tags: ['housing'] },
      },
      async () => deps.temporal.workflow.getHandle(planId).query(planStateQuery),
    );
  };
}
