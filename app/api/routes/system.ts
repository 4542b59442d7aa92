import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, requireRole } from '../../../platform/http/auth';
import { systemCheckWorkflow } from '../../workflows';
import type { ApiDeps } from '../deps';

export function systemRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/system-checks',
      {
        preHandler: requireRole('administrator', 'city_health_commission'),
        schema: {
          summary: 'Runs the system-check workflow end to end (API → Temporal → activity → event store)',
          tags: ['system'],
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
          staticSummary: '系统自检：API → Temporal → 活动 → 事件库',
          staticDetails: '**系统自检**：启动一个工作流，由活动向事件库追加一条事件并返回其位置与哈希，证明各环节连通。',
          // The actor is who the token says, never what the caller writes in the body.
          args: [{ requestedBy: actorOf(request) }],
        });
        return reply.status(201).send({ workflowId, ...result });
      },
    );
  };
}
