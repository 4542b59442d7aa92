import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from '@temporalio/client';
import { type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ApplicationFailure,
  type UpdateDefinition,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { formatYuan } from '../../platform/common/money';
import type { Db } from '../../platform/db/database';
import { actorOf, assertJurisdiction, requireRole } from '../../platform/http/auth';
import { queryFlag, queryInt, queryIntOptional } from '../../platform/http/query-params';
import { canSeePersonalData, maskIdNumber } from '../../platform/security/masking';
import { claimBackPayRun, storeUpload } from '../adapters/uploads';
import type { SubsidyDeps } from '../context';
import { subsidyEvent } from '../context';
import {
  type Actor,
  addSelfApplicationUpdate,
  confirmFundingUpdate,
  cycleIdFor,
  cycleProgressQuery,
  decideItemsUpdate,
  EXCLUSION_CODES,
  extractUploadedSignal,
  type ReviewDecision,
  reviewProgressQuery,
  submitReviewUpdate,
} from '../contracts/definitions';
import { streams } from '../contracts/events';
import { type Lang, renderExplanation } from '../rules/explain';
import { importRoster } from '../services/roster';
import { registerSelfApplication, SelfApplicationRejected } from '../services/self-application';
import { subsidyCycleWorkflow } from '../workflows/cycle';
import { reissuePaymentWorkflow } from '../workflows/payment';
import { recordRepaymentUpdate, recoveryWorkflow } from '../workflows/recovery';
import { cycleStartMetadata, recoveryStartMetadata, reissueStartMetadata } from '../workflows/summaries';

/** What the subsidy routes use of the API's deps (app/api/server.ts passes its ApiDeps). */
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
  z.object({
    decision: z.literal('exclude'),
    selection,
    exclusionCode: z.enum(EXCLUSION_CODES as [string, ...string[]]),
    reason: z.string().max(500).optional(),
  }),
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
const langParam = z.enum(['zh', 'en']).optional().describe('explanation language: Chinese by default');

/** Chinese unless ?lang=en or an Accept-Language that prefers English. */
function langOf(request: FastifyRequest, query: 'zh' | 'en' | undefined): Lang {
  if (query) return query;
  const accept = String(request.headers['accept-language'] ?? '')
    .trim()
    .toLowerCase();
  return accept.startsWith('en') ? 'en' : 'zh';
}

function moneyTotals(items: number, amountFen: number, cityFen: number, countyFen: number) {
  return {
    items,
    amountFen,
    amountYuan: formatYuan(amountFen),
    cityShareFen: cityFen,
    cityShareYuan: formatYuan(cityFen),
    countyShareFen: countyFen,
    countyShareYuan: formatYuan(countyFen),
  };
}

const refusal = z.object({ error: z.string(), message: z.string() });
/** Route options of a quarter's file upload by the city health commission (extract, omissions). */
const quarterUpload = (summary: string) => ({
  preHandler: requireRole('city_health_commission', 'administrator'),
  bodyLimit: 1024 ** 3,
  schema: {
    summary,
    tags: ['subsidy'],
    params: z.object({ quarter: quarterParam }),
    querystring: z.object({ autoApprove: queryFlag(false) }),
  },
});
/** Why the bank-first check refuses a re-issue (subsidy/activities/payment.ts): answered 409 with the reason. */
const REISSUE_REFUSALS = new Set(['PaymentAlreadySettled', 'PaymentInDoubt', 'PaymentNotHeld']);

/** The ApplicationFailure at the root of a workflow's failure, if any. */
function applicationFailureOf(error: unknown): ApplicationFailure | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (cause instanceof ApplicationFailure) return cause;
  return undefined;
}
const UPLOAD_TYPES = [
  'text/csv',
  'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];

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

/** The workflow an Update goes to, and how an answer names it ("the review of 411002 for 2025Q3"). */
interface UpdateTarget {
  handle: WorkflowHandle;
  step?: string;
}

/** Runs one Update and answers with its result; a refusal or a closed workflow is answered by runUpdate. */
async function answerUpdate<Ret, Arg>(
  reply: FastifyReply,
  target: UpdateTarget,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  status = 200,
): Promise<FastifyReply> {
  const run = () => target.handle.executeUpdate(update, { args: [arg] });
  const result = await runUpdate(reply, run, target.handle, target.step);
  return result === undefined ? reply : reply.status(status).send(result);
}

/** A refused update (validator) is the caller's mistake: 409 with the workflow's reason. */
async function runUpdate<T>(
  reply: FastifyReply,
  update: () => Promise<T>,
  handle?: WorkflowHandle,
  step = 'this step',
): Promise<T | undefined> {
  try {
    return await update();
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      void reply.status(409).send({ error: 'refused', message: error.cause?.message ?? error.message });
      return undefined;
    }
    // The workflow has closed (a submitted review, a confirmed cycle) or never existed: say which.
    if (error instanceof WorkflowNotFoundError) {
      const closed = await handle?.describe().catch(() => undefined);
      if (closed?.closeTime) {
        void reply.status(409).send({
          error: 'closed',
          message: `${step} was closed on ${closed.closeTime.toISOString()} (${closed.status.name.toLowerCase()}): it accepts no more changes; a payment already made is corrected by a re-issue or a recovery`,
        });
      } else {
        void reply
          .status(404)
          .send({ error: 'not_found', message: `${step} does not exist (${error.workflowId ?? 'no such workflow'})` });
      }
      return undefined;
    }
    throw error;
  }
}

export function subsidyRoutes(deps: SubsidyApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { subsidy } = deps;
    const cycleHandle = (quarter: string) =>
      deps.temporal.workflow.getHandle<typeof subsidyCycleWorkflow>(cycleIdFor(quarter));
    const reviewHandle = (quarter: string, jurisdiction: string): WorkflowHandle =>
      deps.temporal.workflow.getHandle(`${cycleIdFor(quarter)}:review:${jurisdiction}`);
    /** The county review a request may act on (its own county only). */
    const reviewOf = (request: FastifyRequest, quarter: string, jurisdiction: string): UpdateTarget => {
      assertJurisdiction(request, jurisdiction);
      return { handle: reviewHandle(quarter, jurisdiction), step: `the review of ${jurisdiction} for ${quarter}` };
    };

    app.addContentTypeParser(UPLOAD_TYPES, { bodyLimit: 1024 ** 3 }, (_request, payload, done) => done(null, payload));

    app.post(
      '/subsidy/rosters',
      {
        preHandler: requireRole('city_health_commission', 'administrator'),
        bodyLimit: 1024 ** 3,
        schema: {
          summary:
            'Load the county-confirmed roster (CSV or XLSX body): an update (default) or the annual roster of a year (第六条)',
          tags: ['subsidy'],
          querystring: z.object({
            kind: z.enum(['update', 'annual']).default('update'),
            year: queryIntOptional(2025, 2200),
          }),
        },
      },
      async (request, reply) => {
        const { kind, year } = request.query;
        if (kind === 'annual' && year === undefined)
          return reply.status(400).send({ error: 'bad_request', message: 'kind=annual needs year' });
        const result = await withUploadedFile(request, (file) =>
          importRoster(subsidy, file, actorOf(request), kind === 'annual' ? { kind, year: year! } : { kind: 'update' }),
        );
        return reply.status(result.loaded ? 201 : 200).send(result);
      },
    );

    app.get(
      '/subsidy/rosters/exits/:jurisdiction',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: {
          summary:
            'People of a jurisdiction who exit on 1 January because its annual roster leaves them out (not_in_annual_roster)',
          tags: ['subsidy'],
          params: z.object({ jurisdiction: jurisdictionParam }),
          querystring: z.object({ year: queryIntOptional(1900, 2200) }),
        },
      },
      async (request) => {
        const { jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        let query = deps.db.selectFrom('roster_exits').selectAll().where('jurisdiction', '=', jurisdiction);
        if (request.query.year !== undefined) query = query.where('year', '=', request.query.year);
        const exits = await query.orderBy('version').orderBy('person_ref').execute();
        const people = await subsidy.vault.getMany(exits.map((e) => e.person_ref));
        const reveal = canSeePersonalData(request.actor!.role);
        return {
          total: exits.length,
          exits: exits.map((e) => {
            const person = people.get(e.person_ref);
            return {
              person: person
                ? { idNumber: reveal ? person.idNumber : maskIdNumber(person.idNumber), name: person.name }
                : null,
              year: e.year,
              exitedOn: e.exited_on,
              reason: e.reason,
              rosterVersion: e.version,
            };
          }),
        };
      },
    );

    app.get(
      '/subsidy/rosters/conflicts',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: {
          summary: 'Open roster conflicts (one person on two different lines): neither line is taken until resolved',
          tags: ['subsidy'],
        },
      },
      async (request) => {
        const actor = request.actor!;
        let query = deps.db.selectFrom('roster_conflicts').selectAll().where('resolved_version', 'is', null);
        if (actor.jurisdiction) query = query.where(sql<boolean>`${actor.jurisdiction} = any(jurisdictions)`);
        const rows = await query.orderBy('version').execute();
        const people = await subsidy.vault.getMany(rows.map((r) => r.person_ref));
        const reveal = canSeePersonalData(actor.role);
        return {
          total: rows.length,
          conflicts: rows.map((r) => {
            const person = people.get(r.person_ref);
            return {
              person: person
                ? { idNumber: reveal ? person.idNumber : maskIdNumber(person.idNumber), name: person.name }
                : null,
              rosterVersion: r.version,
              lines: r.lines,
              jurisdictions: r.jurisdictions,
              reason: 'roster_conflict',
            };
          }),
        };
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/extract',
      quarterUpload(
        "Upload the quarter's medical-insurance extract; starts the cycle, or hands the extract to the waiting one",
      ),
      async (request, reply) => {
        const { quarter } = request.params;
        const upload = await withUploadedFile(request, (file) => storeUpload(subsidy, file));
        try {
          await deps.temporal.workflow.start(subsidyCycleWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: cycleIdFor(quarter),
            ...cycleStartMetadata({ quarter }),
            args: [{ quarter, extractHash: upload.hash, autoApprove: request.query.autoApprove }],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          const running = (await cycleHandle(quarter).describe()).status.name === 'RUNNING';
          if (!running)
            return reply.status(409).send({
              error: 'refused',
              message: `${cycleIdFor(quarter)} already ran; omissions go to a back-pay run`,
            });
          await cycleHandle(quarter).signal(extractUploadedSignal, {
            extractHash: upload.hash,
            actor: actorFrom(request),
          });
        }
        return reply.status(202).send({ cycleId: cycleIdFor(quarter), extractHash: upload.hash });
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/omissions',
      quarterUpload(
        'Omissions (漏报) the counties verified after the joint meeting: a back-pay run (补发, 第十二条) through the same review and payment',
      ),
      async (request, reply) => {
        const { quarter } = request.params;
        const upload = await withUploadedFile(request, (file) => storeUpload(subsidy, file));
        const run = await claimBackPayRun(subsidy, quarter, upload.hash, actorOf(request));
        try {
          await deps.temporal.workflow.start(subsidyCycleWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: run.cycleId,
            ...cycleStartMetadata({ quarter, runKind: 'back_pay' }),
            args: [{ quarter, runKind: 'back_pay', extractHash: upload.hash, autoApprove: request.query.autoApprove }],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (error) {
          // Started by the first upload of this file (the claim is the same): it is that run.
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
        if (run.duplicate) {
          return reply.status(200).send({
            cycleId: run.cycleId,
            extractHash: upload.hash,
            duplicate: true,
            message: `this file is already back-pay run ${run.seq} of ${quarter} (${run.cycleId}); it pays once`,
          });
        }
        return reply.status(202).send({ cycleId: run.cycleId, extractHash: upload.hash, duplicate: false });
      },
    );

    app.get(
      '/subsidy/cycles/:quarter',
      {
        preHandler: requireRole('city_health_commission', 'county_reviewer', 'finance', 'auditor', 'administrator'),
        schema: {
          summary: "A cycle's stage and figures",
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam }),
        },
      },
      async (request) => cycleHandle(request.params.quarter).query(cycleProgressQuery),
    );

    app.get(
      '/subsidy/cycles/:quarter/review/:jurisdiction/items',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: {
          summary:
            'Review items of a jurisdiction with the explanation of every figure (Chinese; ?lang=en or Accept-Language: en for English), yuan beside fen, page and overall totals',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
          querystring: z.object({
            status: z.enum(['pending', 'approved', 'rejected', 'excluded']).optional(),
            offset: queryInt(0, 10_000_000, 0),
            limit: queryInt(1, 1_000, 100),
            lang: langParam,
          }),
        },
      },
      async (request) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        const lang = langOf(request, request.query.lang);
        let query = deps.db
          .selectFrom('entitlements')
          .where('cycle_id', '=', cycleIdFor(quarter))
          .where('jurisdiction', '=', jurisdiction);
        if (request.query.status) query = query.where('review_status', '=', request.query.status);
        const items = await query
          .selectAll()
          .orderBy('seq')
          .offset(request.query.offset)
          .limit(request.query.limit)
          .execute();
        const overall = await query
          .select([
            sql<string>`count(*)`.as('items'),
            sql<string>`coalesce(sum(amount_fen), 0)`.as('amount'),
            sql<string>`coalesce(sum(city_share_fen), 0)`.as('city'),
            sql<string>`coalesce(sum(county_share_fen), 0)`.as('county'),
          ])
          .executeTakeFirstOrThrow();
        const explanations = await deps.db
          .selectFrom('row_outcomes')
          .select(['payment_id', 'record_id', 'explanation'])
          .where('cycle_id', '=', cycleIdFor(quarter))
          .where('payment_id', 'in', items.length > 0 ? items.map((i) => i.payment_id) : [''])
          .execute();
        const people = await subsidy.vault.getMany(items.map((i) => i.person_ref));
        const reveal = canSeePersonalData(request.actor!.role);
        const page = items.reduce(
          (t, i) => ({
            amount: t.amount + Number(i.amount_fen),
            city: t.city + Number(i.city_share_fen),
            county: t.county + Number(i.county_share_fen),
          }),
          { amount: 0, city: 0, county: 0 },
        );
        return {
          totals: {
            page: moneyTotals(items.length, page.amount, page.city, page.county),
            overall: moneyTotals(
              Number(overall.items),
              Number(overall.amount),
              Number(overall.city),
              Number(overall.county),
            ),
          },
          items: items.map((i) => {
            const person = people.get(i.person_ref);
            return {
              seq: i.seq,
              paymentId: i.payment_id,
              person: person
                ? { idNumber: reveal ? person.idNumber : maskIdNumber(person.idNumber), name: person.name }
                : null,
              category: i.category,
              kind: i.kind,
              nights: i.nights,
              amountFen: Number(i.amount_fen),
              amountYuan: formatYuan(Number(i.amount_fen)),
              cityShareFen: Number(i.city_share_fen),
              cityShareYuan: formatYuan(Number(i.city_share_fen)),
              countyShareFen: Number(i.county_share_fen),
              countyShareYuan: formatYuan(Number(i.county_share_fen)),
              reviewStatus: i.review_status,
              /** The code (a rejection's reason, an exclusion's 第七条 code) and the reviewer's own words. */
              reviewReason: i.review_reason,
              reviewNote: i.review_note,
              paymentStatus: i.payment_status,
              records: explanations
                .filter((e) => e.payment_id === i.payment_id)
                .map((e) => {
                  // A correction (a paid record sent again with other content) shows old and new dates side by side.
                  const correction = e.explanation.find((f) => typeof f !== 'string' && f.kind === 'correction');
                  return {
                    recordId: e.record_id,
                    ...(correction && typeof correction !== 'string' && correction.kind === 'correction'
                      ? { correction: { before: correction.before, after: correction.after } }
                      : {}),
                    explanation: renderExplanation(e.explanation, lang),
                  };
                }),
            };
          }),
        };
      },
    );

    app.get(
      '/subsidy/cycles/:quarter/outcomes',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: {
          summary:
            'Every row outcome of a cycle (paid, not eligible, excluded, quarantined) with its explanation, filtered and paged with totals',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam }),
          querystring: z.object({
            jurisdiction: jurisdictionParam.optional(),
            outcome: z.enum(['paid', 'not_eligible', 'excluded', 'quarantined']).optional(),
            reason: z.string().min(1).max(64).optional(),
            q: z
              .string()
              .min(1)
              .max(100)
              .optional()
              .describe('free text: a record id, a date, a code in the explanation'),
            offset: queryInt(0, 10_000_000, 0),
            limit: queryInt(1, 1_000, 100),
            lang: langParam,
          }),
        },
      },
      async (request) => {
        const { jurisdiction, outcome, reason, q, offset, limit } = request.query;
        const actor = request.actor!;
        // A county's reader sees its own jurisdiction only; the city may look across.
        const scope = jurisdiction ?? actor.jurisdiction;
        if (scope !== undefined) assertJurisdiction(request, scope);
        const lang = langOf(request, request.query.lang);
        let query = deps.db.selectFrom('row_outcomes').where('cycle_id', '=', cycleIdFor(request.params.quarter));
        if (scope !== undefined) query = query.where('jurisdiction', '=', scope);
        if (outcome) query = query.where('outcome', '=', outcome);
        if (reason) query = query.where('reason', '=', reason);
        if (q) {
          const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          query = query.where((eb) =>
            eb.or([
              eb('record_id', 'ilike', like),
              eb(sql<string>`explanation::text`, 'ilike', like),
              eb('reason', 'ilike', like),
            ]),
          );
        }
        const counts = await query
          .select(['outcome', sql<string>`count(*)`.as('rows'), sql<string>`coalesce(sum(amount_fen), 0)`.as('amount')])
          .groupBy('outcome')
          .execute();
        const rows = await query
          .select([
            'line_no',
            'record_id',
            'jurisdiction',
            'outcome',
            'reason',
            'nights',
            'amount_fen',
            'payment_id',
            'explanation',
          ])
          .orderBy(sql`abs(line_no)`)
          .orderBy('line_no')
          .offset(offset)
          .limit(limit)
          .execute();
        const byOutcome = Object.fromEntries(
          counts.map((c) => [
            c.outcome,
            { rows: Number(c.rows), amountFen: Number(c.amount), amountYuan: formatYuan(Number(c.amount)) },
          ]),
        );
        return {
          total: counts.reduce((n, c) => n + Number(c.rows), 0),
          offset,
          limit,
          byOutcome,
          rows: rows.map((r) => ({
            lineNo: r.line_no,
            recordId: r.record_id,
            jurisdiction: r.jurisdiction,
            outcome: r.outcome,
            reason: r.reason,
            nights: r.nights,
            amountFen: Number(r.amount_fen),
            amountYuan: formatYuan(Number(r.amount_fen)),
            paymentId: r.payment_id,
            explanation: renderExplanation(r.explanation, lang),
          })),
        };
      },
    );

    app.get(
      '/subsidy/cycles/:quarter/review/:jurisdiction',
      {
        preHandler: requireRole('county_reviewer', 'city_health_commission', 'auditor', 'administrator'),
        schema: {
          summary: 'Progress of a county review',
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
          response: { 200: reviewProgress },
        },
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
        const decision = { ...request.body, actor: actorFrom(request) } as ReviewDecision;
        return answerUpdate(reply, reviewOf(request, quarter, jurisdiction), decideItemsUpdate, decision);
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
        const review = reviewOf(request, quarter, jurisdiction);
        let applicationId: string;
        try {
          applicationId = await registerSelfApplication(subsidy, cycleIdFor(quarter), request.body, actorOf(request));
        } catch (error) {
          if (error instanceof SelfApplicationRejected)
            return reply.status(422).send({ error: 'invalid_application', message: error.message });
          throw error;
        }
        return answerUpdate(reply, review, addSelfApplicationUpdate, { applicationId, actor: actorFrom(request) });
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/review/:jurisdiction/submit',
      {
        preHandler: requireRole('county_reviewer'),
        schema: {
          summary: "Submit the county's review",
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
          response: { 200: reviewProgress, 409: refusal },
        },
      },
      async (request, reply) => {
        const { quarter, jurisdiction } = request.params;
        return answerUpdate(reply, reviewOf(request, quarter, jurisdiction), submitReviewUpdate, {
          actor: actorFrom(request),
        });
      },
    );

    app.post(
      '/subsidy/cycles/:quarter/funding/:jurisdiction/confirm',
      {
        preHandler: requireRole('finance'),
        schema: {
          summary: "Finance confirms a county's funding request (拨款申请, 第八条)",
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam, jurisdiction: jurisdictionParam }),
        },
      },
      async (request, reply) => {
        const { quarter, jurisdiction } = request.params;
        assertJurisdiction(request, jurisdiction);
        const cycle = { handle: cycleHandle(quarter), step: `the cycle of ${quarter}` };
        return answerUpdate(reply, cycle, confirmFundingUpdate, { jurisdiction, actor: actorFrom(request) });
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
          querystring: z.object({
            status: z.enum(['not_instructed', 'instructed', 'accepted', 'settled', 'held']).optional(),
            jurisdiction: jurisdictionParam.optional(),
          }),
        },
      },
      async (request) => {
        const jurisdiction =
          request.actor!.role === 'county_reviewer' ? request.actor!.jurisdiction : request.query.jurisdiction;
        let query = deps.db
          .selectFrom('entitlements')
          .select([
            'payment_id',
            'jurisdiction',
            'seq',
            'kind',
            'nights',
            'amount_fen',
            'review_status',
            'payment_status',
            'attempt',
            'held_reason',
          ])
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
        // Finance pays, so finance re-issues (a county's finance bureau for its county only); the
        // county reviewer, who verified the person, may too. The account entered is write-only.
        preHandler: requireRole('finance', 'county_reviewer', 'administrator'),
        schema: {
          summary:
            'Correct the beneficiary account of a held payment and re-issue it (finance, a county reviewer of its county, administrator; paid once: the bank is asked about every earlier attempt first)',
          tags: ['subsidy'],
          params: z.object({ paymentId: z.string().min(1) }),
          body: z.object({ bankCode: z.string().min(1).max(20), accountNo: z.string().min(4).max(40) }),
        },
      },
      async (request, reply) => {
        const item = await deps.db
          .selectFrom('entitlements')
          .select(['person_ref', 'jurisdiction', 'payment_status', 'attempt', 'doubt_reason'])
          .where('payment_id', '=', request.params.paymentId)
          .executeTakeFirst();
        if (!item)
          return reply.status(404).send({ error: 'not_found', message: `no payment ${request.params.paymentId}` });
        assertJurisdiction(request, item.jurisdiction);
        if (item.payment_status !== 'held') {
          const why =
            item.payment_status === 'in_doubt'
              ? `attempt #${item.attempt} is in doubt at the bank (${item.doubt_reason ?? 'no answer'}): the bank is being asked what became of it`
              : `payment is ${item.payment_status}, not held`;
          return reply.status(409).send({ error: 'refused', message: why });
        }
        const actor = actorFrom(request);
        const attempt = item.attempt + 1;
        // The corrected account is sealed here; the workflow carries only its id and applies it once
        // the bank has confirmed that no earlier attempt was paid.
        const correctionId = randomUUID();
        await deps.db
          .insertInto('payment_corrections')
          .values({
            correction_id: correctionId,
            payment_id: request.params.paymentId,
            person_ref: item.person_ref,
            key_id: subsidy.vault.sealKeyId,
            sealed: subsidy.vault.sealValue({ bankCode: request.body.bankCode, accountNo: request.body.accountNo }),
            requested_by: actorOf(request),
          })
          .execute();
        // One workflow per attempt: a second request for the same attempt is refused, not started twice.
        const workflowId = `reissue-${request.params.paymentId}-${attempt}`;
        let handle;
        try {
          handle = await deps.temporal.workflow.start(reissuePaymentWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId,
            ...reissueStartMetadata(attempt),
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            args: [
              {
                paymentId: request.params.paymentId,
                actor,
                attempt,
                correctionId,
                timing: { pollInterval: 200, maxPollInterval: 5_000 },
              },
            ],
          });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) {
            return reply.status(409).send({
              error: 'refused',
              message: `re-issue attempt #${attempt} of payment ${request.params.paymentId} is already under way (${workflowId})`,
            });
          }
          throw error;
        }
        try {
          return reply.send({ workflowId, ...(await handle.result()) });
        } catch (error) {
          const refusal = applicationFailureOf(error);
          if (refusal && REISSUE_REFUSALS.has(refusal.type ?? ''))
            return reply.status(409).send({ error: 'refused', message: refusal.message });
          throw error;
        }
      },
    );

    app.get(
      '/subsidy/cycles/:quarter/reconciliation-breaks',
      {
        preHandler: requireRole('finance', 'city_health_commission', 'auditor', 'administrator', 'county_reviewer'),
        schema: {
          summary:
            "Differences between the bank's statement and our books (settled twice, paid but not booked, …), open until resolved",
          tags: ['subsidy'],
          params: z.object({ quarter: quarterParam }),
          querystring: z.object({ status: z.enum(['open', 'resolved']).optional() }),
        },
      },
      async (request) => {
        let query = deps.db
          .selectFrom('reconciliation_breaks')
          .select(['break_id', 'payment_id', 'jurisdiction', 'kind', 'detail', 'status', 'resolved_by', 'resolution'])
          .where('cycle_id', '=', cycleIdFor(request.params.quarter));
        if (request.actor!.role === 'county_reviewer')
          query = query.where('jurisdiction', '=', request.actor!.jurisdiction ?? '');
        if (request.query.status) query = query.where('status', '=', request.query.status);
        return { breaks: await query.orderBy('payment_id').orderBy('kind').limit(10_000).execute() };
      },
    );

    app.post(
      '/subsidy/reconciliation-breaks/:breakId/resolve',
      {
        preHandler: requireRole('finance', 'administrator'),
        schema: {
          summary: 'Record how a reconciliation break was resolved (e.g. the recovery opened for a double payment)',
          tags: ['subsidy'],
          params: z.object({ breakId: z.string().min(1).max(80) }),
          body: z.object({ resolution: z.string().min(1).max(1_000) }),
        },
      },
      async (request, reply) => {
        const found = await deps.db
          .selectFrom('reconciliation_breaks')
          .select(['cycle_id', 'status'])
          .where('break_id', '=', request.params.breakId)
          .executeTakeFirst();
        if (!found)
          return reply
            .status(404)
            .send({ error: 'not_found', message: `no reconciliation break ${request.params.breakId}` });
        if (found.status !== 'open')
          return reply
            .status(409)
            .send({ error: 'refused', message: `break ${request.params.breakId} is already ${found.status}` });
        await subsidy.store.append(
          streams.reconciliation(found.cycle_id),
          [
            subsidyEvent(
              'ReconciliationBreakResolved',
              {
                breakId: request.params.breakId,
                cycleId: found.cycle_id,
                resolution: request.body.resolution,
                actor: actorFrom(request),
              },
              request.params.breakId,
              'resolved',
            ),
          ],
          { metadata: { actor: actorOf(request) } },
        );
        return reply.send({ breakId: request.params.breakId, status: 'resolved' });
      },
    );

    app.post(
      '/subsidy/payments/:paymentId/recoveries',
      {
        preHandler: requireRole('city_health_commission', 'administrator'),
        schema: {
          summary:
            'Open a recovery of money obtained with forged material (追回, 第十三条); the payment itself stays as it was',
          tags: ['subsidy'],
          params: z.object({ paymentId: z.string().min(1) }),
          body: z.object({ amountFen: z.number().int().positive(), reason: z.string().min(1).max(500) }),
        },
      },
      async (request, reply) => {
        const payment = await deps.db
          .selectFrom('entitlements')
          .select(['amount_fen', 'payment_status'])
          .where('payment_id', '=', request.params.paymentId)
          .executeTakeFirst();
        if (!payment)
          return reply.status(404).send({ error: 'not_found', message: `no payment ${request.params.paymentId}` });
        if (payment.payment_status !== 'settled')
          return reply.status(409).send({
            error: 'refused',
            message: `payment is ${payment.payment_status}: only money paid out can be recovered`,
          });
        if (request.body.amountFen > Number(payment.amount_fen))
          return reply.status(422).send({ error: 'invalid', message: 'a recovery cannot exceed the payment' });
        const recoveryId = `recovery-${request.params.paymentId}`;
        try {
          await deps.temporal.workflow.start(recoveryWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: recoveryId,
            ...recoveryStartMetadata(request.body.amountFen, request.body.reason),
            args: [
              {
                paymentId: request.params.paymentId,
                amountFen: request.body.amountFen,
                reason: request.body.reason,
                actor: actorFrom(request),
              },
            ],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError)
            return reply.status(409).send({ error: 'refused', message: `${recoveryId} already exists` });
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
        const { recoveryId } = request.params;
        const recovery = { handle: deps.temporal.workflow.getHandle(recoveryId), step: `recovery ${recoveryId}` };
        return answerUpdate(
          reply,
          recovery,
          recordRepaymentUpdate,
          { ...request.body, actor: actorFrom(request) },
          201,
        );
      },
    );
  };
}
