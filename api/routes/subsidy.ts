import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importRoster } from '../../activities/subsidy/roster';
import { registerSelfApplication, SelfApplicationRejected } from '../../activities/subsidy/self-application';
import { storeUpload } from '../../activities/subsidy/uploads';
import { subsidyEvent } from '../../activities/subsidy/context';
import { streams } from '../../projections/subsidy/events';
import { recoveryWorkflow, reissuePaymentWorkflow, subsidyCycleWorkflow } from '../../workflows';
import { recordRepaymentUpdate } from '../../workflows/subsidy/recovery';
import {
  addSelfApplicationUpdate,
  confirmFundingUpdate,
  cycleIdFor,
  cycleProgressQuery,
  decideItemsUpdate,
  EXCLUSION_CODES,
  extractUploadedSignal,
  reviewProgressQuery,
  submitReviewUpdate,
  type Actor,
} from '../../workflows/subsidy/definitions';
import { actorOf, assertJurisdiction, requireRole } from '../auth';
import { canSeePersonalData, maskIdNumber } from '../../security/masking';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/database';
import type { SubsidyDeps } from '../../activities/subsidy/context';

/** What the subsidy routes use of the API's deps (api/server.ts passes its ApiDeps). */
export interface SubsidyApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  subsidy: SubsidyDeps;
}

const quarterParam = z.string().regex(/^\d{4}Q[1-4]$/, 'a quarter like 2025Q3');
const jurisdictionParam = z.string().min(1).max(16);
const selection = z.union([
  z.object({ scope: z.literal('items'), seqs: z.array(z.number().int().positive()).min(1).max(100_000) }),
  z.object({ scope: z.literal('all_undecided'), except: z.array(z.number().int().positive()).max(100_000).optional() }),
]);
const decisionBody = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve'), selection, note: z.string().max(500).optional() }),
  z.object({ decision: z.literal('reject'), selection, reason: z.string().min(1).max(500) }),
  z.object({ decision: z.literal('exclude'), selection, exclusionCode: z.enum(EXCLUSION_CODES as [string, ...string[]]), reason: z.string().max(500).optional() }),
]);
const reviewProgress = z.object({
  cycleId: z.string(),
  jurisdiction: z.string(),
  items: z.number(),
  approved: z.number(),
  rejected: z.number(),
  excluded: z.number(),
  undecided: z.number(),
  submitted: z.boolean(),
});
const refusal = z.object({ error: z.string(), message: z.string() });
/** Route options of a quarter's file upload by the city health commission (extract, omissions). */
const quarterUpload = (summary: string) => ({
  preHandler: requireRole('city_health_commission', 'administrator'),
  bodyLimit: 1024 ** 3,
  schema: {
    summary,
    tags: ['subsidy'],
    params: z.object({ quarter: quarterParam }),
    querystring: z.object({ autoApprove: z.coerce.boolean().default(false) }),
  },
});
const UPLOAD_TYPES = ['text/csv', 'application/octet-stream', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'];

function actorFrom(request: FastifyRequest): Actor {
  const a = request.actor!;
  return { subject: a.subject, role: a.role, ...(a.jurisdiction ? { jurisdiction: a.jurisdiction } : {}) };
}

/** Streams a request body to a temporary file named for its type, then hands it to `use`. */
async function withUploadedFile<T>(request: FastifyRequest, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'upload-'));
  const ext = request.headers['content-type']?.includes('spreadsheetml') ? 'xlsx' : 'csv';
  const file = path.join(dir, `upload.${ext}`);
  try {
    await pipeline(request.body as Readable, createWriteStream(file, { mode: 0o600 }));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A refused update (validator) is the caller's mistake: 409 with the workflow's reason. */
async function runUpdate<T>(reply: FastifyReply, update: () => Promise<T>): Promise<T | undefined> {
  try {
    return await update();
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      void reply.status(409).send({ error: 'refused', message: error.cause?.message ?? error.message });
      return undefined;
    }
    // The workflow has closed (a submitted review, a confirmed cycle) or never existed.
    if (error instanceof WorkflowNotFoundError) {
      void reply.status(409).send({ error: 'refused', message: 'this step is closed or does not exist' });
      return undefined;
    }
    throw error;
  }
}

export function subsidyRoutes(deps: SubsidyApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { subsidy } = deps;
    const cycleHandle = (quarter: string) => deps.temporal.workflow.getHandle<typeof subsidyCycleWorkflow>(cycleIdFor(quarter));
    const reviewHandle = (quarter: string, jurisdiction: string): WorkflowHandle =>
      deps.temporal.workflow.getHandle(`${cycleIdFor(quarter)}:review:${jurisdiction}`);

    app.addContentTypeParser(UPLOAD_TYPES, { bodyLimit: 1024 ** 3 }, (_request, payload, done) => done(null, payload));

    app.post(
      '/subsidy/rosters',
      {
        preHandler: requireRole('city_health_commission', 'administrator'),
        bodyLimit: 1024 ** 3,
        schema: { summary: 'Load or update the county-confirmed roster (CSV or XLSX body)', tags: ['subsidy'] },
      },
      async (request, reply) => {
        const result = await withUploadedFile(request, (file) => importRoster(subsidy, file, actorOf(request)));
        return reply.status(result.loaded ? 201 : 200).send(result);
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/extract',
      quarterUpload("Upload the quarter's medical-insurance extract; starts the cycle, or hands the extract to the waiting one"),
      async (request, reply) => {
        const { quarter } = request.params;
        const upload = await withUploadedFile(request, (file) => storeUpload(subsidy.uploadsDir, file));
        try {
          await deps.temporal.workflow.start(subsidyCycleWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: cycleIdFor(quarter),
            args: [{ quarter, extractHash: upload.hash, autoApprove: request.query.autoApprove }],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          const running = (await cycleHandle(quarter).describe()).status.name === 'RUNNING';
          if (!running) return reply.status(409).send({ error: 'refused', message: `${cycleIdFor(quarter)} already ran; omissions go to a back-pay run` });
          await cycleHandle(quarter).signal(extractUploadedSignal, { extractHash: upload.hash, actor: actorFrom(request) });
        }
        return reply.status(202).send({ cycleId: cycleIdFor(quarter), extractHash: upload.hash });
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/omissions',
      quarterUpload('Omissions (漏报) the counties verified after the joint meeting: a back-pay run (补发, 第十二条) through the same review and payment'),
      async (request, reply) => {
        const { quarter } = request.params;
        const upload = await withUploadedFile(request, (file) => storeUpload(subsidy.uploadsDir, file));
        const earlier = await deps.db.selectFrom('subsidy_cycles').select('cycle_id').where('quarter', '=', quarter).where('run_kind', '=', 'back_pay').execute();
        const workflowId = cycleIdFor(quarter, 'back_pay', earlier.length + 1);
        await deps.temporal.workflow.start(subsidyCycleWorkflow, {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [{ quarter, runKind: 'back_pay', extractHash: upload.hash, autoApprove: request.query.autoApprove }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        return reply.status(202).send({ cycleId: workflowId, extractHash: upload.hash });
      },
    );

    app.get(
      '/subsidy/cycles/:quarter',
      {
        preHandler: requireRole('city_health_commission', 'county_reviewer', 'finance', 'auditor', 'administrator'),
        schema: { summary: "A cycle's stage and figures", tags: ['subsidy'], params: z.object({ quarter: quarterParam }) },
      },
      async (request) => cycleHandle(request.params.quarter).query(cycleProgressQuery),
    );

    app.get(
      '/subsidy/cycles/:quarter/review/:jurisdiction/items',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: {
          summary: 'Review items of a jurisdiction with the explanation of every figure',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
          querystring: z.object({
            status: z.enum(['pending', 'approved', 'rejected', 'excluded']).optional(),
            offset: z.coerce.number().int().min(0).default(0),
            limit: z.coerce.number().int().min(1).max(1_000).default(100),
          }),
        },
      },
      async (request) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        let query = deps.db
          .selectFrom('entitlements')
          .selectAll()
          .where('cycle_id', '=', cycleIdFor(quarter))
          .where('jurisdiction', '=', jurisdiction);
        if (request.query.status) query = query.where('review_status', '=', request.query.status);
        const items = await query.orderBy('seq').offset(request.query.offset).limit(request.query.limit).execute();
        const explanations = await deps.db
          .selectFrom('row_outcomes')
          .select(['payment_id', 'record_id', 'explanation'])
          .where('payment_id', 'in', items.length > 0 ? items.map((i) => i.payment_id) : [''])
          .execute();
        const people = await subsidy.vault.getMany(items.map((i) => i.person_ref));
        const reveal = canSeePersonalData(request.actor!.role);
        return {
          items: items.map((i) => {
            const person = people.get(i.person_ref);
            return {
              seq: i.seq,
              paymentId: i.payment_id,
              person: person ? { idNumber: reveal ? person.idNumber : maskIdNumber(person.idNumber), name: person.name } : null,
              category: i.category,
              kind: i.kind,
              nights: i.nights,
              amountFen: Number(i.amount_fen),
              cityShareFen: Number(i.city_share_fen),
              countyShareFen: Number(i.county_share_fen),
              reviewStatus: i.review_status,
              reviewReason: i.review_reason,
              paymentStatus: i.payment_status,
              records: explanations.filter((e) => e.payment_id === i.payment_id).map((e) => ({ recordId: e.record_id, explanation: e.explanation })),
            };
          }),
        };
      },
    );

    app.get(
      '/subsidy/cycles/:quarter/review/:jurisdiction',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: { summary: 'Progress of a county review', tags: ['subsidy'], params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }), response: { 200: reviewProgress } },
      },
      async (request) => {
        assertJurisdiction(request, request.params.jurisdiction);
        return reviewHandle(request.params.quarter, request.params.jurisdiction).query(reviewProgressQuery);
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/review/:jurisdiction/decisions',
      {
        preHandler: requireRole('county_reviewer'),
        schema: {
          summary: 'Approve, reject or exclude items by selection ("all undecided except …" is one request)',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
          body: decisionBody,
          response: { 200: reviewProgress, 409: refusal },
        },
      },
      async (request, reply) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        const result = await runUpdate(reply, () =>
          reviewHandle(quarter, jurisdiction).executeUpdate(decideItemsUpdate, { args: [{ ...request.body, actor: actorFrom(request) } as never] }),
        );
        return result && reply.send(result);
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/review/:jurisdiction/self-applications',
      {
        preHandler: requireRole('county_reviewer'),
        schema: {
          summary: 'Enter the stay of an uninsured beneficiary who applied in person (未参保, 第七条)',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
          body: z.object({
            recordId: z.string().min(1).max(64),
            idNumber: z.string().min(15).max(18),
            hospital: z.string().min(1).max(200),
            admissionDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
            dischargeDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
            documents: z.array(z.string().min(1).max(200)).min(1),
          }),
          response: { 200: reviewProgress.extend({ seq: z.number().nullable() }), 409: refusal, 422: refusal },
        },
      },
      async (request, reply) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        let applicationId: string;
        try {
          applicationId = await registerSelfApplication(subsidy, cycleIdFor(quarter), request.body, actorOf(request));
        } catch (error) {
          if (error instanceof SelfApplicationRejected) return reply.status(422).send({ error: 'invalid_application', message: error.message });
          throw error;
        }
        const result = await runUpdate(reply, () =>
          reviewHandle(quarter, jurisdiction).executeUpdate(addSelfApplicationUpdate, { args: [{ applicationId, actor: actorFrom(request) }] }),
        );
        return result && reply.send(result as never);
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/review/:jurisdiction/submit',
      {
        preHandler: requireRole('county_reviewer'),
        schema: { summary: "Submit the county's review", tags: ['subsidy'], params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }), response: { 200: reviewProgress, 409: refusal } },
      },
      async (request, reply) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        const result = await runUpdate(reply, () => reviewHandle(quarter, jurisdiction).executeUpdate(submitReviewUpdate, { args: [{ actor: actorFrom(request) }] }));
        return result && reply.send(result);
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/funding/:jurisdiction/confirm',
      {
        preHandler: requireRole('finance'),
        schema: { summary: "Finance confirms a county's funding request (拨款申请, 第八条)", tags: ['subsidy'], params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }) },
      },
      async (request, reply) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        const result = await runUpdate(reply, () => cycleHandle(quarter).executeUpdate(confirmFundingUpdate, { args: [{ jurisdiction, actor: actorFrom(request) }] }));
        return result && reply.send(result);
      },
    );

    app.get(
      '/subsidy/cycles/:quarter/payments',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'finance', 'auditor', 'administrator'),
        schema: {
          summary: 'Payments of a cycle (e.g. ?status=held)',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam }),
          querystring: z.object({ status: z.enum(['not_instructed', 'instructed', 'accepted', 'settled', 'held']).optional(), jurisdiction: jurisdictionParam.optional() }),
        },
      },
      async (request) => {
        const jurisdiction = request.actor!.role === 'county_reviewer' ? request.actor!.jurisdiction : request.query.jurisdiction;
        let query = deps.db
          .selectFrom('entitlements')
          .select(['payment_id', 'jurisdiction', 'seq', 'kind', 'nights', 'amount_fen', 'review_status', 'payment_status', 'attempt', 'held_reason'])
          .where('cycle_id', '=', cycleIdFor(request.params.quarter));
        if (jurisdiction) query = query.where('jurisdiction', '=', jurisdiction);
        if (request.query.status) query = query.where('payment_status', '=', request.query.status);
        const rows = await query.orderBy('jurisdiction').orderBy('seq').limit(10_000).execute();
        return { payments: rows.map((r) => ({ ...r, amount_fen: Number(r.amount_fen) })) };
      },
    );

    app.post(
      '/subsidy/payments/:paymentId/reissue',
      {
        preHandler: requireRole('county_reviewer', 'administrator'),
        schema: {
          summary: 'Correct the beneficiary account of a held payment and re-issue it (paid once)',
          tags: ['subsidy'],
          params: z.object({ paymentId: z.string().min(1) }),
          body: z.object({ bankCode: z.string().min(1).max(20), accountNo: z.string().min(4).max(40) }),
        },
      },
      async (request, reply) => {
        const item = await deps.db
          .selectFrom('entitlements')
          .select(['person_ref', 'jurisdiction', 'payment_status', 'attempt'])
          .where('payment_id', '=', request.params.paymentId)
          .executeTakeFirst();
        if (!item) return reply.status(404).send({ error: 'not_found', message: `no payment ${request.params.paymentId}` });
        assertJurisdiction(request, item.jurisdiction);
        if (item.payment_status !== 'held') return reply.status(409).send({ error: 'refused', message: `payment is ${item.payment_status}, not held` });
        const actor = actorFrom(request);
        await subsidy.vault.update(item.person_ref, { bankCode: request.body.bankCode, accountNo: request.body.accountNo });
        await subsidy.store.append(
          streams.beneficiary(item.person_ref),
          [subsidyEvent('BeneficiaryAccountCorrected', { personRef: item.person_ref, actor }, item.person_ref, 'account', request.params.paymentId, item.attempt)],
          { metadata: { actor: actorOf(request) } },
        );
        const workflowId = `reissue-${request.params.paymentId}-${item.attempt + 1}`;
        const result = await deps.temporal.workflow.execute(reissuePaymentWorkflow, {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [{ paymentId: request.params.paymentId, actor, timing: { pollInterval: 200, maxPollInterval: 5_000 } }],
        });
        return reply.send({ workflowId, ...result });
      },
    );

    app.post(
      '/subsidy/payments/:paymentId/recoveries',
      {
        preHandler: requireRole('city_health_commission', 'administrator'),
        schema: {
          summary: 'Open a recovery of money obtained with forged material (追回, 第十三条); the payment itself stays as it was',
          tags: ['subsidy'],
          params: z.object({ paymentId: z.string().min(1) }),
          body: z.object({ amountFen: z.number().int().positive(), reason: z.string().min(1).max(500) }),
        },
      },
      async (request, reply) => {
        const payment = await deps.db.selectFrom('entitlements').select(['amount_fen', 'payment_status']).where('payment_id', '=', request.params.paymentId).executeTakeFirst();
        if (!payment) return reply.status(404).send({ error: 'not_found', message: `no payment ${request.params.paymentId}` });
        if (payment.payment_status !== 'settled') return reply.status(409).send({ error: 'refused', message: `payment is ${payment.payment_status}: only money paid out can be recovered` });
        if (request.body.amountFen > Number(payment.amount_fen)) return reply.status(422).send({ error: 'invalid', message: 'a recovery cannot exceed the payment' });
        const recoveryId = `recovery-${request.params.paymentId}`;
        try {
          await deps.temporal.workflow.start(recoveryWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: recoveryId,
            args: [{ paymentId: request.params.paymentId, amountFen: request.body.amountFen, reason: request.body.reason, actor: actorFrom(request) }],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) return reply.status(409).send({ error: 'refused', message: `${recoveryId} already exists` });
          throw error;
        }
        return reply.status(201).send({ recoveryId });
      },
    );

    app.post(
      '/subsidy/recoveries/:recoveryId/repayments',
      {
        preHandler: requireRole('finance', 'administrator'),
        schema: {
          summary: 'Record a repayment against a recovery',
          tags: ['subsidy'],
          params: z.object({ recoveryId: z.string().min(1) }),
          body: z.object({ amountFen: z.number().int().positive(), reference: z.string().min(1).max(100) }),
        },
      },
      async (request, reply) => {
        const handle = deps.temporal.workflow.getHandle(request.params.recoveryId);
        const result = await runUpdate(reply, () => handle.executeUpdate(recordRepaymentUpdate, { args: [{ ...request.body, actor: actorFrom(request) }] }));
        return result && reply.status(201).send(result);
      },
    );
  };
}
