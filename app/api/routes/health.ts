import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { ApiDeps } from '../deps';

const componentStatus = z.object({ ok: z.boolean(), detail: z.string().optional() });
const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  postgres: componentStatus,
  temporal: componentStatus,
});

async function check(probe: () => Promise<unknown>): Promise<z.infer<typeof componentStatus>> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

export function healthRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: {
          summary: 'Checks that PostgreSQL and Temporal answer',
          tags: ['system'],
          response: { 200: healthResponse, 503: healthResponse },
        },
      },
      async (_request, reply) => {
        const [postgres, temporal] = await Promise.all([
          check(() => sql`select 1`.execute(deps.db)),
          check(() => deps.temporal.workflowService.getSystemInfo({})),
        ]);
        const ok = postgres.ok && temporal.ok;
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', postgres, temporal });
      },
    );
  };
}
