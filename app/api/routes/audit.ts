import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyChain } from '../../../platform/eventstore';
import { requireRole } from '../../../platform/http/auth';
import { exportEvents, exportLine } from '../../audit/export';
import { rebuildAndCompare } from '../../audit/rebuild';
import { allProjections } from '../../projections';
import type { ApiDeps } from '../deps';

/** Auditors read; nothing here writes to the live tables (the rebuild works in a scratch schema it drops). */
const AUDIT_ROLES = ['auditor', 'administrator'] as const;

const refusal = z.object({ error: z.string(), message: z.string() });
const verdict = z.object({
  ok: z.boolean(),
  count: z.number(),
  lastHash: z.string().optional(),
  position: z.string().optional(),
  reason: z.string().optional(),
});
const rebuildReport = z.object({
  ok: z.boolean(),
  events: z.number(),
  tables: z.array(z.string()),
  differences: z.array(
    z.object({
      table: z.string(),
      onlyLive: z.number(),
      onlyRebuilt: z.number(),
      keys: z.array(z.string()),
      samples: z.array(z.string()),
    }),
  ),
  chain: verdict,
});

export function auditRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/audit/verify',
      {
        preHandler: requireRole(...AUDIT_ROLES),
        schema: {
          summary: 'Walks the SHA-256 hash chain of every event; names the first broken position',
          tags: ['audit'],
          response: { 200: verdict, 401: refusal, 403: refusal },
        },
      },
      async () => verifyChain(deps.store),
    );

    app.get(
      '/audit/rebuild',
      {
        preHandler: requireRole(...AUDIT_ROLES),
        schema: {
          summary: 'Replays every event into fresh projections and lists every difference from the live query tables',
          tags: ['audit'],
          response: { 200: rebuildReport, 401: refusal, 403: refusal },
        },
      },
      async () => {
        const report = await rebuildAndCompare(deps.db, deps.store, allProjections);
        return { ok: report.differences.length === 0, ...report };
      },
    );

    app.get(
      '/audit/events',
      {
        preHandler: requireRole(...AUDIT_ROLES),
        schema: {
          summary:
            'Exports events as JSON lines with their hashes, for offline checking (a quarter, a stream prefix, or all)',
          tags: ['audit'],
          querystring: z.object({
            quarter: z
              .string()
              .regex(/^\d{4}Q[1-4]$/, 'a quarter like 2025Q3')
              .optional(),
            streamPrefix: z.string().min(1).max(200).optional(),
          }),
        },
      },
      async (request, reply) => {
        const lines = (async function* () {
          for await (const event of exportEvents(deps.db, request.query)) yield exportLine(event);
        })();
        return reply.type('application/x-ndjson').send(Readable.from(lines));
      },
    );
  };
}
