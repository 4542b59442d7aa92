import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listingWorkflowId } from '../../../housing/contracts/definitions';
import { assertJurisdiction, SESSION_COOKIE } from '../../../platform/http/auth';
import type { Actor, Role } from '../../../platform/security/roles';
import { issueToken, verifyToken } from '../../../platform/security/tokens';
import { cycleIdFor, cycleProgressQuery, EXCLUSION_CODES } from '../../../subsidy/contracts/definitions';
import { cycleDeadlinesFor } from '../../../subsidy/rules/calendar';
import { JURISDICTIONS, jurisdictionName } from '../../../subsidy/rules/jurisdictions';
import { checkExport } from '../../audit/export';
import type { ApiDeps } from '../deps';
import * as data from './data';
import { LANGS, type Lang, rejectionZh, translator, yuan } from './i18n';
import { authenticate, sessionStillValid } from './users';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const htmxDir = path.dirname(require.resolve('htmx.org/dist/htmx.min.js'));
const chartDir = path.join(path.dirname(require.resolve('chart.js')), '..', 'dist');

const LANG_COOKIE = 'xc_lang';
const FLASH_COOKIE = 'xc_flash';

// Who sees which page: the same roles as the JSON routes behind it (api/routes/*). The pages only
// decide what to show; every action goes through those routes, which enforce role and county again.
const PAGES = {
  home: [
    'county_reviewer',
    'city_health_commission',
    'finance',
    'housing_task_force',
    'appraiser',
    'auditor',
    'administrator',
  ],
  review: ['county_reviewer', 'city_health_commission', 'auditor', 'administrator'],
  finance: ['county_reviewer', 'city_health_commission', 'finance', 'auditor', 'administrator'],
  city: ['city_health_commission', 'auditor', 'administrator'],
  // POST /subsidy/cycles/{quarter}/extract's roles.
  extract: ['city_health_commission', 'administrator'],
  housing: ['housing_task_force', 'appraiser', 'finance', 'auditor', 'administrator'],
  audit: ['auditor', 'administrator'],
} as const satisfies Record<string, readonly Role[]>;
type Page = keyof typeof PAGES;
/** What GET /subsidy/cycles/{quarter} answers (the cycle's progress query), as far as the extract page reads it. */
interface CycleProgressBody {
  stage: string;
  extractHash?: string;
  rejection?: { extractHash: string; reason: string };
  rows?: { total: number; valid: number; quarantined: number };
}
/** POST /subsidy/payments/{id}/reissue's roles (subsidy/api/routes.ts): only they get the form. */
const REISSUE_ROLES: readonly Role[] = ['finance', 'county_reviewer', 'administrator'];
/** Stages where a person of the task force (or the appraiser) acts on a listing. */
const HOUSING_ACTION_STAGES = ['awaiting_decision', 'survey', 'negotiation', 'approval'];

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session's token: forwarded as the bearer token of the JSON routes the console calls. */
    sessionToken?: string;
  }
}

const quarterQuery = z.object({
  quarter: z
    .string()
    .regex(/^\d{4}Q[1-4]$/)
    .optional(),
  jurisdiction: z.string().max(16).optional(),
});

export function consoleRoutes(deps: ApiDeps): FastifyPluginAsync {
  const options = deps.console ?? {};
  const cookieSecret = createHmac('sha256', deps.tokenSecret).update('console-cookies').digest('base64');
  const cookieBase = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: options.secureCookies ?? false };
  const temporalUi = deps.codec?.uiUrl;

  return async (app) => {
    await app.register(fastifyCookie, { secret: cookieSecret });
    await app.register(fastifyFormbody);
    await app.register(fastifyCsrf, { cookieKey: 'xc_csrf', cookieOpts: { ...cookieBase, signed: true } });
    await app.register(fastifyRateLimit, { global: false });
    await app.register(fastifyView, {
      engine: { eta: new Eta({ autoEscape: true }) },
      root: path.join(here, 'views'),
      production: process.env.NODE_ENV !== 'development',
    });
    await app.register(fastifyStatic, {
      root: [path.join(here, 'static'), htmxDir, chartDir],
      prefix: '/console/assets/',
      decorateReply: false,
      maxAge: '1h',
    });

    const langOf = (request: FastifyRequest): Lang =>
      LANGS.includes(request.cookies[LANG_COOKIE] as Lang) ? (request.cookies[LANG_COOKIE] as Lang) : 'zh';

    /** Calls a JSON route of this API as the signed-in person: the API's own checks decide. */
    async function callApi(request: FastifyRequest, method: 'GET' | 'POST', url: string, body?: unknown) {
      const response = await app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${request.sessionToken}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      let json: any;
      try {
        json = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, body: json };
    }

    function flash(reply: FastifyReply, ok: boolean, message: string) {
      void reply.setCookie(FLASH_COOKIE, JSON.stringify({ ok, message }), { ...cookieBase, maxAge: 60 });
    }

    /** What every page needs: words, the person, the CSRF token, the menu, a message from the last action. */
    function context(
      request: FastifyRequest,
      reply: FastifyReply,
      page: Page | 'login',
      extra: Record<string, unknown> = {},
    ) {
      const lang = langOf(request);
      const tr = translator(lang);
      let message: { ok: boolean; message: string } | undefined;
      if (request.cookies[FLASH_COOKIE]) {
        try {
          message = JSON.parse(request.cookies[FLASH_COOKIE]!);
        } catch {
          message = undefined;
        }
        void reply.clearCookie(FLASH_COOKIE, { path: '/' });
      }
      const actor = request.actor;
      const menu = actor
        ? (Object.keys(PAGES) as Page[]).filter((p) => (PAGES[p] as readonly Role[]).includes(actor.role))
        : [];
      return {
        ...tr,
        yuan,
        lang,
        page,
        actor,
        menu,
        message,
        csrf: reply.generateCsrf(),
        countyName: (code: string) => jurisdictionName(code) ?? code,
        workflowUrl: (workflowId: string) =>
          temporalUi ? `${temporalUi}/namespaces/default/workflows/${encodeURIComponent(workflowId)}` : undefined,
        url: request.url,
        ...extra,
      };
    }

    /** A console page: a valid session of an enabled account with one of `roles`; otherwise sign-in (or 401/403). */
    const session = (page: Page) => async (request: FastifyRequest, reply: FastifyReply) => {
      const token = request.cookies[SESSION_COOKIE];
      let actor: Actor | undefined;
      if (token) actor = await verifyToken(deps.tokenSecret, token).catch(() => undefined);
      if (!actor || !(await sessionStillValid(deps.db, actor))) {
        if (token) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        if (request.method === 'GET' && !request.headers['hx-request'])
          return reply.redirect(`/?next=${encodeURIComponent(request.url)}`, 303);
        return reply.status(401).send({ error: 'unauthenticated', message: 'sign in first' });
      }
      request.actor = actor;
      request.sessionToken = token;
      if (!(PAGES[page] as readonly Role[]).includes(actor.role)) {
        return reply.status(403).view('forbidden', context(request, reply, page));
      }
    };

    const pageRoute = (page: Page) => ({ preHandler: session(page), schema: { hide: true } });
    const actionRoute = (page: Page) => ({
      preValidation: app.csrfProtection,
      preHandler: session(page),
      schema: { hide: true },
    });

    const safeNext = (next: unknown) =>
      typeof next === 'string' && /^\/console(\/|\?|$)/.test(next) ? next : '/console';

    // --- sign-in --------------------------------------------------------------------------------
    app.get('/', { schema: { hide: true } }, async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      const actor = token ? await verifyToken(deps.tokenSecret, token).catch(() => undefined) : undefined;
      const next = safeNext((request.query as { next?: string }).next);
      if (actor && (await sessionStillValid(deps.db, actor))) return reply.redirect(next, 303);
      return reply.view(
        'login',
        context(request, reply, 'login', { next, error: (request.query as { error?: string }).error }),
      );
    });

    app.post(
      '/login',
      {
        schema: { hide: true },
        preValidation: app.csrfProtection,
        config: {
          rateLimit: {
            max: options.loginRateLimit?.max ?? 10,
            timeWindow: options.loginRateLimit?.timeWindowMs ?? 60_000,
            errorResponseBuilder: (_request, context) => ({
              statusCode: 429,
              error: 'too_many_requests',
              message: `too many sign-in attempts; retry in ${Math.ceil(context.ttl / 1000)} s`,
            }),
          },
        },
      },
      async (request, reply) => {
        const body = z
          .object({ name: z.string().max(64), password: z.string().max(200), next: z.string().max(500).optional() })
          .safeParse(request.body);
        const next = safeNext(body.data?.next);
        const actor = body.success ? await authenticate(deps.db, body.data.name, body.data.password) : undefined;
        if (!actor) {
          request.log.info({ user: body.data?.name }, 'console sign-in refused');
          return reply.redirect(`/?error=1&next=${encodeURIComponent(next)}`, 303);
        }
        const { displayName: _displayName, ...sessionActor } = actor;
        const token = await issueToken(deps.tokenSecret, sessionActor, options.sessionTtl ?? '10h');
        void reply.setCookie(SESSION_COOKIE, token, cookieBase);
        return reply.redirect(next, 303);
      },
    );

    app.post('/logout', { schema: { hide: true }, preValidation: app.csrfProtection }, async (_request, reply) => {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.redirect('/', 303);
    });

    app.get('/console/lang/:lang', { schema: { hide: true } }, async (request, reply) => {
      const lang = (request.params as { lang: string }).lang;
      if (LANGS.includes(lang as Lang)) void reply.setCookie(LANG_COOKIE, lang, { ...cookieBase, maxAge: 365 * 86400 });
      const referer = request.headers.referer
        ? new URL(request.headers.referer, 'http://x').pathname + new URL(request.headers.referer, 'http://x').search
        : '/';
      return reply.redirect(referer === '/' || referer.startsWith('/console') ? referer : '/', 303);
    });

    // --- helpers of the subsidy pages -----------------------------------------------------------
    async function pickQuarter(request: FastifyRequest) {
      const q = quarterQuery.safeParse(request.query);
      const all = await data.quarters(deps);
      const quarter = q.success && q.data.quarter ? q.data.quarter : all[0];
      return { quarter, quarters: all, jurisdiction: q.success ? q.data.jurisdiction : undefined };
    }
    /** A county reviewer always works on their own county; other roles choose one. */
    function pickJurisdiction(request: FastifyRequest, asked: string | undefined, available: string[]) {
      const actor = request.actor!;
      if (actor.jurisdiction) return actor.jurisdiction;
      return asked && available.includes(asked) ? asked : available[0];
    }
    function deadlines(quarter: string) {
      try {
        return cycleDeadlinesFor(quarter);
      } catch {
        return undefined;
      }
    }
    async function cycleProgress(request: FastifyRequest, quarter: string) {
      const r = await callApi(request, 'GET', `/subsidy/cycles/${quarter}`);
      return r.status === 200
        ? (r.body as {
            stage: string;
            fundingConfirmed: string[];
            jurisdictions: { jurisdiction: string; items: number; amountFen: number }[];
          })
        : undefined;
    }

    /** The subsidy cycles Temporal has running, with their stage (at most 20; a query each). */
    async function runningCycles(): Promise<{ quarter: string; stage: string; workflowId: string }[]> {
      const out: { quarter: string; stage: string; workflowId: string }[] = [];
      try {
        for await (const wf of deps.temporal.workflow.list({
          query: `WorkflowType = 'subsidyCycleWorkflow' AND ExecutionStatus = 'Running'`,
          pageSize: 20,
        })) {
          const progress = await deps.temporal.workflow
            .getHandle(wf.workflowId)
            .query(cycleProgressQuery)
            .catch(() => undefined);
          if (progress) out.push({ quarter: progress.quarter, stage: progress.stage, workflowId: wf.workflowId });
          if (out.length >= 20) break;
        }
      } catch (error) {
        app.log.warn({ err: error }, 'console: cannot list running cycles');
      }
      return out;
    }

    // --- home: what needs attention -------------------------------------------------------------
    app.get('/console', pageRoute('home'), async (request, reply) => {
      const actor = request.actor!;
      const { quarter } = await pickQuarter(request);
      const attention: { text: string; href: string }[] = [];
      const tr = translator(langOf(request));
      if (quarter) {
        const scope = actor.jurisdiction;
        const counts = await data.reviewCounts(deps, quarter, scope);
        const notices = (await data.cycleNotices(deps, quarter)).filter((n) => !scope || n.jurisdiction === scope);
        const held = (PAGES.finance as readonly Role[]).includes(actor.role)
          ? await data.heldPayments(deps, scope)
          : [];
        const progress = await cycleProgress(request, quarter);
        if (
          ['county_reviewer', 'city_health_commission', 'administrator'].includes(actor.role) &&
          progress?.stage === 'review'
        ) {
          const pending = new Map<string, number>();
          for (const c of counts)
            if (c.review === 'pending') pending.set(c.jurisdiction, (pending.get(c.jurisdiction) ?? 0) + c.n);
          for (const [j, n] of pending)
            attention.push({
              text: `${quarter} ${jurisdictionName(j) ?? j}: ${n} ${tr.t('reviewWaiting')}`,
              href: `/console/review?quarter=${quarter}&jurisdiction=${j}`,
            });
        }
        if (['county_reviewer', 'city_health_commission', 'administrator'].includes(actor.role)) {
          for (const n of notices.filter((x) => x.notice === 'ReviewEscalated'))
            attention.push({
              text: `${quarter} ${jurisdictionName(n.jurisdiction ?? '') ?? n.jurisdiction}: ${tr.t('escalated')}`,
              href: `/console/review?quarter=${quarter}&jurisdiction=${n.jurisdiction}`,
            });
        }
        if (['finance', 'administrator'].includes(actor.role)) {
          for (const f of (await data.fundingRequests(deps, quarter)).filter((x) => x.status !== 'confirmed'))
            attention.push({
              text: `${quarter} ${jurisdictionName(f.jurisdiction) ?? f.jurisdiction}: ${tr.t('fundingWaiting')}`,
              href: `/console/finance?quarter=${quarter}`,
            });
        }
        if (
          held.length > 0 &&
          ['county_reviewer', 'finance', 'city_health_commission', 'administrator'].includes(actor.role)
        )
          attention.push({
            text: `${held.length} ${tr.t('heldAttention')}`,
            href: `/console/finance?quarter=${quarter}#held`,
          });
        // The bank is the authority: what it has not confirmed, and where its statement and our books differ.
        if (['finance', 'city_health_commission', 'administrator'].includes(actor.role)) {
          const bank = await data.bankAttention(deps, quarter, scope);
          if (bank.inDoubt > 0)
            attention.push({
              text: `${quarter} ${bank.inDoubt} ${tr.t('inDoubtAttention')}`,
              href: `/console/finance?quarter=${quarter}`,
            });
          if (bank.openBreaks > 0)
            attention.push({
              text: `${quarter} ${bank.openBreaks} ${tr.t('breaksAttention')}`,
              href: `/console/finance?quarter=${quarter}`,
            });
        }
      }
      if (['city_health_commission', 'administrator'].includes(actor.role)) {
        // A cycle waiting for its extract has no row in the query tables yet: ask Temporal which cycles run.
        for (const cycle of await runningCycles()) {
          if (cycle.stage === 'extract' || cycle.stage === 'extract_rejected')
            attention.push({
              text: `${cycle.quarter} ${tr.t(cycle.stage === 'extract' ? 'extractWaiting' : 'extractRejected')}`,
              // Those who may upload go straight to the upload page.
              href: (PAGES.extract as readonly Role[]).includes(actor.role)
                ? `/console/extract?quarter=${cycle.quarter}`
                : `/console/city?quarter=${cycle.quarter}`,
            });
        }
      }
      if (['housing_task_force', 'administrator'].includes(actor.role)) {
        const waiting = (await data.housingBoard(deps))
          .filter((s) => s.stage === 'awaiting_decision' || s.stage === 'approval' || s.stage === 'payment_held')
          .reduce((n, s) => n + s.listings.length, 0);
        if (waiting > 0) attention.push({ text: `${waiting} ${tr.t('listingsWaiting')}`, href: '/console/housing' });
      }
      return reply.view('home', context(request, reply, 'home', { attention, quarter }));
    });

    // --- county review --------------------------------------------------------------------------
    app.get('/console/review', pageRoute('review'), async (request, reply) => {
      const { quarter, quarters, jurisdiction: asked } = await pickQuarter(request);
      if (!quarter) return reply.view('empty', context(request, reply, 'review'));
      const available = request.actor!.jurisdiction
        ? [request.actor!.jurisdiction]
        : [...new Set((await data.reviewCounts(deps, quarter)).map((c) => c.jurisdiction))].sort();
      const jurisdiction = pickJurisdiction(request, asked, available);
      if (!jurisdiction) return reply.view('empty', context(request, reply, 'review'));
      assertJurisdiction(request, jurisdiction);
      const parsed = data.itemFilters.safeParse(request.query);
      const filters = parsed.success ? parsed.data : data.itemFilters.parse({});
      const list = await data.reviewItems(deps, request.actor!.role, quarter, jurisdiction, filters, langOf(request));
      const query = new URLSearchParams(
        Object.entries(request.query as Record<string, string>).filter(([k, v]) => k !== 'page' && v !== ''),
      );
      const ctx = {
        quarter,
        quarters,
        jurisdiction,
        available,
        filters,
        rawQuery: request.query,
        filterError: parsed.success ? undefined : parsed.error.issues[0]?.message,
        list,
        query: query.toString(),
      };
      if (request.headers['hx-request'] && request.headers['hx-target'] === 'items')
        return reply.view('review-items', context(request, reply, 'review', ctx));
      const progressResponse = await callApi(request, 'GET', `/subsidy/cycles/${quarter}/review/${jurisdiction}`);
      const progress = progressResponse.status === 200 ? progressResponse.body : undefined;
      const choices = await data.filterChoices(deps, quarter, jurisdiction);
      const canDecide = request.actor!.role === 'county_reviewer' && progress && !progress.submitted;
      return reply.view(
        'review',
        context(request, reply, 'review', {
          ...ctx,
          progress,
          choices,
          canDecide,
          deadlines: deadlines(quarter),
          exclusionCodes: EXCLUSION_CODES,
          reviewWorkflow: `${cycleIdFor(quarter)}:review:${jurisdiction}`,
        }),
      );
    });

    const seqList = z.preprocess(
      (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
      z.array(z.coerce.number().int().positive()).max(100_000),
    );
    const decideForm = z.object({
      quarter: z.string().regex(/^\d{4}Q[1-4]$/),
      jurisdiction: z.string().min(1).max(16),
      action: z.enum(['approve_all_except', 'approve', 'reject', 'exclude']),
      seq: seqList,
      reason: z.string().max(500).optional(),
      exclusionCode: z.string().max(40).optional(),
      back: z.string().max(2000).optional(),
    });

    app.post('/console/review/decide', actionRoute('review'), async (request, reply) => {
      const tr = translator(langOf(request));
      const form = decideForm.safeParse(request.body);
      if (!form.success)
        return reply.status(400).send({ error: 'bad_request', message: form.error.issues[0]?.message });
      const f = form.data;
      const back = safeNext(f.back);
      const selection =
        f.action === 'approve_all_except' ? { scope: 'all_undecided', except: f.seq } : { scope: 'items', seqs: f.seq };
      if (selection.scope === 'items' && f.seq.length === 0) {
        flash(reply, false, `${tr.t('refused')}: ${tr.t('choose')} ${tr.t('items')}`);
        return reply.redirect(back, 303);
      }
      const body =
        f.action === 'reject'
          ? { decision: 'reject', selection, reason: f.reason ?? '' }
          : f.action === 'exclude'
            ? {
                decision: 'exclude',
                selection,
                exclusionCode: f.exclusionCode,
                ...(f.reason ? { reason: f.reason } : {}),
              }
            : { decision: 'approve', selection };
      // One request for the whole selection: the review workflow's decideItems update does the rest.
      const result = await callApi(
        request,
        'POST',
        `/subsidy/cycles/${f.quarter}/review/${encodeURIComponent(f.jurisdiction)}/decisions`,
        body,
      );
      if (result.status === 200)
        flash(
          reply,
          true,
          `${tr.t('decided')}: ${tr.t('approved')} ${result.body.approved} · ${tr.t('rejected')} ${result.body.rejected} · ${tr.t('excluded')} ${result.body.excluded} · ${tr.t('undecided')} ${result.body.undecided}`,
        );
      else flash(reply, false, `${tr.t('refused')}: ${result.body?.message ?? result.status}`);
      return reply.redirect(back, 303);
    });

    app.post('/console/review/self-application', actionRoute('review'), async (request, reply) => {
      const tr = translator(langOf(request));
      const form = z
        .object({
          quarter: z.string().regex(/^\d{4}Q[1-4]$/),
          jurisdiction: z.string().min(1).max(16),
          recordId: z.string().trim().min(1).max(64),
          idNumber: z.string().trim().min(15).max(18),
          hospital: z.string().trim().min(1).max(200),
          admissionDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
          dischargeDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
          documents: z.string().max(5_000),
          back: z.string().max(2000).optional(),
        })
        .safeParse(request.body);
      const back = safeNext((request.body as { back?: string } | undefined)?.back);
      if (!form.success) {
        flash(
          reply,
          false,
          `${tr.t('refused')}: ${form.error.issues[0]?.path.join('.')} ${form.error.issues[0]?.message}`,
        );
        return reply.redirect(back, 303);
      }
      const { quarter, jurisdiction, documents, back: _back, ...application } = form.data;
      const result = await callApi(
        request,
        'POST',
        `/subsidy/cycles/${quarter}/review/${encodeURIComponent(jurisdiction)}/self-applications`,
        {
          ...application,
          documents: documents
            .split(/\r?\n/)
            .map((d) => d.trim())
            .filter(Boolean),
        },
      );
      flash(
        reply,
        result.status === 200,
        result.status === 200
          ? `${tr.t('selfApplicationAdded')}${result.body.seq ? ` (${tr.t('seq')} ${result.body.seq})` : ''}`
          : `${tr.t('refused')}: ${result.body?.message ?? result.status}`,
      );
      return reply.redirect(back, 303);
    });

    app.post('/console/review/submit', actionRoute('review'), async (request, reply) => {
      const tr = translator(langOf(request));
      const form = decideForm.pick({ quarter: true, jurisdiction: true, back: true }).safeParse(request.body);
      if (!form.success)
        return reply.status(400).send({ error: 'bad_request', message: form.error.issues[0]?.message });
      const result = await callApi(
        request,
        'POST',
        `/subsidy/cycles/${form.data.quarter}/review/${encodeURIComponent(form.data.jurisdiction)}/submit`,
      );
      flash(
        reply,
        result.status === 200,
        result.status === 200 ? tr.t('submitted') : `${tr.t('refused')}: ${result.body?.message ?? result.status}`,
      );
      return reply.redirect(safeNext(form.data.back), 303);
    });

    // --- finance: funding requests, held payments, reconciliation -------------------------------
    app.get('/console/finance', pageRoute('finance'), async (request, reply) => {
      const { quarter, quarters } = await pickQuarter(request);
      if (!quarter) return reply.view('empty', context(request, reply, 'finance'));
      const scope = request.actor!.jurisdiction;
      const [funding, progress, cycle] = await Promise.all([
        data.fundingRequests(deps, quarter, scope),
        cycleProgress(request, quarter),
        data.cycleRow(deps, quarter),
      ]);
      const heldResponse = await callApi(request, 'GET', `/subsidy/cycles/${quarter}/payments?status=held`);
      const held =
        heldResponse.status === 200
          ? (heldResponse.body.payments as {
              payment_id: string;
              jurisdiction: string;
              seq: number;
              amount_fen: number;
              attempt: number;
              held_reason: string | null;
            }[])
          : [];
      const summary = cycle?.summary as {
        reconciliation?: {
          jurisdiction: string;
          approved: number;
          instructed: number;
          settled: number;
          held: number;
          approvedFen: number;
          settledFen: number;
          heldFen: number;
          cityShareFen: number;
          countyShareFen: number;
          balanced: boolean;
        }[];
        balanced?: boolean;
        rows?: Record<string, number>;
      } | null;
      const reconciliation = summary?.reconciliation?.filter((l) => !scope || l.jurisdiction === scope);
      return reply.view(
        'finance',
        context(request, reply, 'finance', {
          quarter,
          quarters,
          funding,
          stage: progress?.stage ?? cycle?.status,
          held,
          summary,
          reconciliation,
          canConfirm: request.actor!.role === 'finance',
          canReissue: REISSUE_ROLES.includes(request.actor!.role),
          cycleWorkflow: cycleIdFor(quarter),
          deadlines: deadlines(quarter),
        }),
      );
    });

    app.post('/console/finance/confirm', actionRoute('finance'), async (request, reply) => {
      const tr = translator(langOf(request));
      const form = z
        .object({ quarter: z.string().regex(/^\d{4}Q[1-4]$/), jurisdiction: z.string().min(1).max(16) })
        .safeParse(request.body);
      if (!form.success)
        return reply.status(400).send({ error: 'bad_request', message: form.error.issues[0]?.message });
      const { quarter, jurisdiction } = form.data;
      const result = await callApi(
        request,
        'POST',
        `/subsidy/cycles/${quarter}/funding/${encodeURIComponent(jurisdiction)}/confirm`,
      );
      flash(
        reply,
        result.status === 200,
        result.status === 200
          ? `${tr.t('confirmed')}: ${jurisdictionName(jurisdiction) ?? jurisdiction}`
          : `${tr.t('refused')}: ${result.body?.message ?? result.status}`,
      );
      return reply.redirect(`/console/finance?quarter=${quarter}`, 303);
    });

    app.post('/console/payments/reissue', actionRoute('finance'), async (request, reply) => {
      const tr = translator(langOf(request));
      const form = z
        .object({
          quarter: z.string().regex(/^\d{4}Q[1-4]$/),
          paymentId: z.string().min(1).max(200),
          bankCode: z.string().trim().min(1).max(20),
          accountNo: z.string().trim().min(4).max(40),
        })
        .safeParse(request.body);
      if (!form.success)
        return reply.status(400).send({ error: 'bad_request', message: form.error.issues[0]?.message });
      const { quarter, paymentId, bankCode, accountNo } = form.data;
      // The same route, the same way as any client: the API checks role, county and state.
      const result = await callApi(request, 'POST', `/subsidy/payments/${encodeURIComponent(paymentId)}/reissue`, {
        bankCode,
        accountNo,
      });
      flash(
        reply,
        result.status === 200,
        result.status === 200
          ? `${paymentId}: ${tr.term(result.body?.status)}`
          : `${tr.t('refused')}: ${result.body?.message ?? result.status}`,
      );
      return reply.redirect(`/console/finance?quarter=${quarter}#held`, 303);
    });

    // --- city health commission dashboard -------------------------------------------------------
    app.get('/console/city', pageRoute('city'), async (request, reply) => {
      const { quarter, quarters } = await pickQuarter(request);
      if (!quarter) return reply.view('empty', context(request, reply, 'city'));
      const [counts, funding, notices, progress, byQuarter, cap, outcomes] = await Promise.all([
        data.reviewCounts(deps, quarter),
        data.fundingRequests(deps, quarter),
        data.cycleNotices(deps, quarter),
        cycleProgress(request, quarter),
        data.amountsByQuarter(deps, quarter),
        data.capUsage(deps, quarter),
        data.rowsByOutcome(deps, quarter),
      ]);
      const tr = translator(langOf(request));
      const rows = new Map<
        string,
        {
          jurisdiction: string;
          items: number;
          fen: number;
          byReview: Record<string, number>;
          byPayment: Record<string, number>;
        }
      >();
      for (const c of counts) {
        const row = rows.get(c.jurisdiction) ?? {
          jurisdiction: c.jurisdiction,
          items: 0,
          fen: 0,
          byReview: {},
          byPayment: {},
        };
        row.items += c.n;
        row.fen += c.fen;
        row.byReview[c.review] = (row.byReview[c.review] ?? 0) + c.n;
        row.byPayment[c.payment] = (row.byPayment[c.payment] ?? 0) + c.n;
        rows.set(c.jurisdiction, row);
      }
      const counties = [...rows.values()].sort((a, b) => a.jurisdiction.localeCompare(b.jurisdiction));
      const outcomeCodes = ['paid', 'not_eligible', 'excluded', 'quarantined'];
      const byQuarterCounties = [...new Set(byQuarter.rows.map((r) => r.jurisdiction))].sort();
      const chart = {
        labels: counties.map((c) => jurisdictionName(c.jurisdiction) ?? c.jurisdiction),
        amounts: counties.map((c) => c.fen / 100),
        // Amount per county per quarter: one series per county across the quarters.
        quarters: byQuarter.quarters,
        series: byQuarterCounties.map((j) => ({
          label: jurisdictionName(j) ?? j,
          amounts: byQuarter.quarters
            .map((q) => byQuarter.rows.find((r) => r.quarter === q && r.jurisdiction === j)?.fen ?? 0)
            .map((fen) => fen / 100),
        })),
        // People by nights used of the yearly cap.
        capYear: cap.year,
        capLabels: cap.buckets.map((upper, i) =>
          upper === 60
            ? `60 ${tr.t('nightsUnit')}（${tr.t('capReached')}）`
            : `${i === 0 ? 1 : cap.buckets[i - 1]! + 1}–${upper} ${tr.t('nightsUnit')}`,
        ),
        capPeople: cap.people,
        // Rows by outcome.
        outcomeLabels: outcomeCodes.map((o) => tr.term(o)),
        outcomeRows: outcomeCodes.map((o) => outcomes.filter((r) => r.outcome === o).reduce((n, r) => n + r.n, 0)),
      };
      const reasons = outcomes
        .filter((r) => r.outcome !== 'paid' && r.reason)
        .sort((a, b) => b.n - a.n)
        .slice(0, 10);
      return reply.view(
        'city',
        context(request, reply, 'city', {
          quarter,
          quarters,
          counties,
          funding,
          notices,
          stage: progress?.stage,
          deadlines: deadlines(quarter),
          chart,
          reasons,
          cycleWorkflow: cycleIdFor(quarter),
          knownCounties: JURISDICTIONS,
        }),
      );
    });

    // --- extract upload (city health commission): bytes sent, then rows ingested --------------
    // The body passes through untouched to POST /subsidy/cycles/{quarter}/extract (the same roles
    // and checks); on the way its lines are counted, so the ingest's progress has a total.
    const UPLOAD_TYPES = [
      'text/csv',
      'application/octet-stream',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ];
    app.addContentTypeParser(UPLOAD_TYPES, { bodyLimit: 1024 ** 3 }, (_request, payload, done) => done(null, payload));
    const quarterOnly = z.object({ quarter: z.string().regex(/^\d{4}Q[1-4]$/, 'a quarter like 2025Q3') });

    app.get('/console/extract', pageRoute('extract'), async (request, reply) => {
      const q = quarterOnly.safeParse(request.query);
      const now = new Date(Date.now() + 8 * 3_600_000);
      const thisQuarter = Math.floor(now.getUTCMonth() / 3) + 1;
      const previous =
        thisQuarter === 1 ? `${now.getUTCFullYear() - 1}Q4` : `${now.getUTCFullYear()}Q${thisQuarter - 1}`;
      return reply.view(
        'extract',
        context(request, reply, 'extract', { quarter: q.success ? q.data.quarter : previous }),
      );
    });

    app.post('/console/extract', { ...actionRoute('extract'), bodyLimit: 1024 ** 3 }, async (request, reply) => {
      const q = quarterOnly.safeParse(request.query);
      if (!q.success) return reply.status(400).send({ ok: false, message: q.error.issues[0]?.message });
      const type = request.headers['content-type'] ?? 'text/csv';
      if (!UPLOAD_TYPES.some((t) => type.startsWith(t)))
        return reply.status(415).send({ ok: false, message: `${type}: CSV or XLSX` });
      let newlines = 0;
      let first: Buffer | undefined;
      let last = 0x0a;
      const counting = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          first ??= chunk.subarray(0, 4);
          for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) newlines++;
          if (chunk.length > 0) last = chunk[chunk.length - 1]!;
          callback(null, chunk);
        },
      });
      (request.body as NodeJS.ReadableStream).pipe(counting);
      const response = await app.inject({
        method: 'POST',
        url: `/subsidy/cycles/${q.data.quarter}/extract`,
        headers: { authorization: `Bearer ${request.sessionToken}`, 'content-type': type },
        payload: counting,
      });
      let body: { extractHash?: string; message?: string } = {};
      try {
        body = JSON.parse(response.body);
      } catch {
        body = { message: response.body };
      }
      if (response.statusCode !== 202)
        return reply.status(response.statusCode).send({ ok: false, message: body.message ?? response.statusCode });
      // Data rows of a CSV: its lines less the header (an .xlsx workbook's rows are not known here).
      const zip = first !== undefined && first.length >= 4 && first.readUInt32BE(0) === 0x504b0304;
      const rows = zip ? undefined : Math.max(0, newlines + (last === 0x0a ? 0 : 1) - 1);
      const params = new URLSearchParams({ quarter: q.data.quarter, hash: body.extractHash! });
      if (rows !== undefined) params.set('total', String(rows));
      return reply.status(202).send({
        ok: true,
        extractHash: body.extractHash,
        rows,
        progressUrl: `/console/extract/progress?${params}`,
      });
    });

    const progressQuery = z.object({
      quarter: z.string().regex(/^\d{4}Q[1-4]$/),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      total: z.coerce.number().int().min(0).optional(),
    });
    app.get('/console/extract/progress', pageRoute('extract'), async (request, reply) => {
      const q = progressQuery.safeParse(request.query);
      if (!q.success) return reply.status(400).send({ error: 'bad_request', message: q.error.issues[0]?.message });
      const { quarter, hash, total } = q.data;
      const r = await callApi(request, 'GET', `/subsidy/cycles/${quarter}`);
      const progress = r.status === 200 ? (r.body as CycleProgressBody) : undefined;
      const ingested = await data.ingestedRows(deps, hash);
      let state: 'waiting' | 'ingesting' | 'done' | 'rejected' | 'other';
      if (progress?.rejection?.extractHash === hash && progress.stage === 'extract_rejected') state = 'rejected';
      else if (progress?.extractHash === hash && progress.rows) state = 'done';
      else if (
        progress &&
        progress.extractHash !== undefined &&
        progress.extractHash !== hash &&
        progress.stage !== 'extract_rejected'
      )
        state = 'other';
      else state = ingested > 0 || progress?.stage === 'ingest' ? 'ingesting' : 'waiting';
      const lang = langOf(request);
      return reply.view(
        'extract-progress',
        context(request, reply, 'extract', {
          quarter,
          hash,
          total,
          ingested,
          state,
          stage: progress?.stage,
          rows: progress?.rows,
          reason: state === 'rejected' ? progress!.rejection!.reason : undefined,
          reasonText: state === 'rejected' ? rejectionZh(progress!.rejection!.reason, lang) : undefined,
          percent: total ? Math.min(100, Math.floor((ingested * 100) / Math.max(total, 1))) : undefined,
          pollUrl: request.url,
          cycleWorkflow: cycleIdFor(quarter),
        }),
      );
    });

    // --- housing task force board (read-only here; decisions stay on the housing routes) -------
    app.get('/console/housing', pageRoute('housing'), async (request, reply) => {
      const board = await data.housingBoard(deps);
      // What a listing waits for, from its workflow (via the API route), for the stages where people act.
      const progress: Record<string, unknown> = {};
      const acting = board
        .filter((c) => HOUSING_ACTION_STAGES.includes(c.stage))
        .flatMap((c) => c.listings)
        .slice(0, 100);
      await Promise.all(
        acting.map(async (l) => {
          const r = await callApi(request, 'GET', `/housing/listings/${encodeURIComponent(l.listing_id)}`);
          if (r.status === 200 && r.body?.progress) progress[l.listing_id] = r.body.progress;
        }),
      );
      const role = request.actor!.role;
      return reply.view(
        'housing',
        context(request, reply, 'housing', {
          board,
          progress,
          listingWorkflowId,
          canSurvey: ['housing_task_force', 'appraiser'].includes(role),
          canDecide: ['housing_task_force', 'administrator'].includes(role),
        }),
      );
    });

    const housingStep = z.enum(['survey', 'offers', 'approval', 'area-exception', 'case-decision']);
    const yes = z.preprocess((v) => v === 'on' || v === 'true', z.boolean());
    app.post('/console/housing/:listingId/:step', actionRoute('housing'), async (request, reply) => {
      const tr = translator(langOf(request));
      const params = z.object({ listingId: z.string().max(64), step: housingStep }).safeParse(request.params);
      if (!params.success) return reply.status(404).send({ error: 'not_found', message: 'no such step' });
      const form = (request.body ?? {}) as Record<string, string>;
      const { listingId, step } = params.data;
      let body: unknown;
      if (step === 'survey') {
        body = {
          passed: yes.parse(form.passed),
          defects: (form.defects ?? '')
            .split(/\r?\n/)
            .map((d) => d.trim())
            .filter(Boolean),
        };
      } else if (step === 'offers') {
        const price = z
          .string()
          .regex(/^\d{1,11}(\.\d{1,2})?$/)
          .safeParse(form.priceYuan);
        if (!price.success) {
          flash(reply, false, `${tr.t('refused')}: ${tr.t('offerPrice')}`);
          return reply.redirect('/console/housing', 303);
        }
        const [whole, part = ''] = price.data.split('.');
        body = {
          priceFen: Number(whole) * 100 + Number(part.padEnd(2, '0')),
          sellerAccepted: yes.parse(form.sellerAccepted),
        };
      } else if (step === 'approval') {
        body = { approved: yes.parse(form.decision), reason: (form.reason ?? '').slice(0, 1000) };
      } else {
        body = { granted: yes.parse(form.decision), reason: (form.reason ?? '').trim().slice(0, 1000) || '-' };
      }
      const result = await callApi(request, 'POST', `/housing/listings/${encodeURIComponent(listingId)}/${step}`, body);
      flash(
        reply,
        result.status === 200,
        result.status === 200
          ? `${listingId}: ${tr.t('decided')}`
          : `${tr.t('refused')}: ${result.body?.message ?? result.status}`,
      );
      return reply.redirect('/console/housing', 303);
    });

    // --- auditor ----------------------------------------------------------------------------------
    app.get('/console/audit', pageRoute('audit'), async (request, reply) =>
      reply.view('audit', context(request, reply, 'audit', { result: undefined })),
    );
    // The export of GET /audit/events, as a download and as an offline check of what it holds.
    const exportFilter = z.object({
      quarter: z
        .string()
        .trim()
        .regex(/^(\d{4}Q[1-4])?$/)
        .optional(),
      streamPrefix: z.string().trim().max(200).optional(),
    });
    const exportUrl = (f: z.infer<typeof exportFilter>) => {
      const q = new URLSearchParams();
      if (f.quarter) q.set('quarter', f.quarter);
      if (f.streamPrefix) q.set('streamPrefix', f.streamPrefix);
      return `/audit/events${q.size > 0 ? `?${q}` : ''}`;
    };
    // Streamed from the JSON route (the same roles), never held in memory whole.
    const exportStream = (request: FastifyRequest, f: z.infer<typeof exportFilter>) =>
      app.inject({
        method: 'GET',
        url: exportUrl(f),
        headers: { authorization: `Bearer ${request.sessionToken}` },
        payloadAsStream: true,
      });
    app.get('/console/audit/export', pageRoute('audit'), async (request, reply) => {
      const f = exportFilter.safeParse(request.query);
      if (!f.success) return reply.status(400).send({ error: 'bad_request', message: f.error.issues[0]?.message });
      const response = await exportStream(request, f.data);
      if (response.statusCode !== 200) return reply.status(response.statusCode).send(response.stream());
      const label = f.data.quarter || f.data.streamPrefix?.replace(/[^A-Za-z0-9-]/g, '_') || 'all';
      return reply
        .type('application/x-ndjson')
        .header('content-disposition', `attachment; filename="xuchang-events-${label}.jsonl"`)
        .send(response.stream());
    });
    app.post('/console/audit/export', actionRoute('audit'), async (request, reply) => {
      const f = exportFilter.safeParse(request.body);
      if (!f.success) return reply.status(400).send({ error: 'bad_request', message: f.error.issues[0]?.message });
      const response = await exportStream(request, f.data);
      let result: Record<string, unknown>;
      if (response.statusCode !== 200) result = { ok: false, status: response.statusCode };
      else {
        // Checked in batches; each batch starts with the last line of the one before, so the links
        // between batches are checked too, and that line is not counted twice.
        const check = { lines: 0, mismatches: 0, breaks: 0, first: undefined as string | undefined, last: '' };
        const types = new Map<string, number>();
        let batch: string[] = [];
        let carry: string | undefined;
        const flush = () => {
          const lines = carry ? [carry, ...batch] : batch;
          const c = checkExport(lines);
          const skip = carry ? 1 : 0;
          check.mismatches += c.mismatches.filter((m) => m.line > skip).length;
          check.breaks += c.breaks.length;
          check.lines += c.lines - skip;
          carry = batch.at(-1) ?? carry;
          batch = [];
        };
        for await (const line of createInterface({ input: response.stream(), crlfDelay: Number.POSITIVE_INFINITY })) {
          if (line.trim() === '') continue;
          const e = JSON.parse(line) as { position: string; type: string };
          check.first ??= e.position;
          check.last = e.position;
          types.set(e.type, (types.get(e.type) ?? 0) + 1);
          batch.push(line);
          if (batch.length === 2_000) flush();
        }
        flush();
        result = {
          ok: check.mismatches === 0 && check.breaks === 0,
          ...check,
          types: [...types].sort((a, b) => b[1] - a[1]).slice(0, 12),
        };
      }
      const ctx = context(request, reply, 'audit', {
        check: 'export',
        result,
        filter: f.data,
        download: `/console/audit/export?${new URLSearchParams(
          Object.entries(f.data).filter((e): e is [string, string] => Boolean(e[1])),
        )}`,
      });
      if (request.headers['hx-request']) return reply.view('audit-result', ctx);
      return reply.view('audit', ctx);
    });
    app.post('/console/audit/:check', actionRoute('audit'), async (request, reply) => {
      const check = (request.params as { check: string }).check;
      if (check !== 'verify' && check !== 'rebuild')
        return reply.status(404).send({ error: 'not_found', message: 'verify or rebuild' });
      const result = await callApi(request, 'GET', `/audit/${check}`);
      const ctx = context(request, reply, 'audit', { check, result: result.body, status: result.status });
      if (request.headers['hx-request']) return reply.view('audit-result', ctx);
      return reply.view('audit', ctx);
    });
  };
}

/** Registers the console on the API (root URL: sign-in). Kept apart so server.ts changes by one line. */
export async function registerConsole(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await app.register(consoleRoutes(deps));
  app.log.debug('work console at /');
}
