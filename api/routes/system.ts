import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { systemCheckWorkflow } from '../../workflows';
import { requireRole } from '../auth';
import type { ApiDeps } from '../server';

export function systemRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/system-checks',
      {
        preHandler: requireRole('administrator', 'city_health_commission'),
        schema: {
          summary: 'Runs the system-check workflow end to end (API → Temporal → activity → event store)',
          tags: ['system'],
          body: z.object({ requestedBy: z.string().min(1).max(100).default('api') }).default({ requestedBy: 'api' }),
          response: {
            201: z.object({ workflowId: z.string(), streamId: z.string(), position: z.string(), hash: z.string() }),
          },
        },
      },
      async (request, reply) => {
        const workflowId = `system-check-${randomUUID()}`;
        const result = await deps.temporal.workflow.execute(systemCheckWorkflow, {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [{ requestedBy: request.body.requestedBy }],
        });
        return reply.status(201).send({ workflowId, ...result });
      },
    );
  };
}
