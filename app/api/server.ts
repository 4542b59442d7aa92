import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { WorkflowNotFoundError } from '@temporalio/common';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { housingRoutes } from '../../housing/api/routes';
import { AccessDenied } from '../../platform/http/auth';
import { subsidyRoutes } from '../../subsidy/api/routes';
import { registerConsole } from './console/index';
import type { ApiDeps } from './deps';
import { auditRoutes } from './routes/audit';
import { codecRoutes } from './routes/codec';
import { healthRoutes } from './routes/health';
import { systemRoutes } from './routes/system';

export type { ApiDeps } from './deps';
export type Api = FastifyInstance;

/**
 * Redacted from every log line: personal data (ID numbers, bank accounts) and credentials never
 * reach a log, whatever a route logs.
 */
export const LOG_REDACTIONS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.token',
  '*.idNumber',
  '*.id_number',
  '*.accountNo',
  '*.account_no',
  '*.*.idNumber',
  '*.*.accountNo',
];

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel, redact: { paths: LOG_REDACTIONS, censor: '[redacted]' } },
  });
  app.decorate('tokenSecret', deps.tokenSecret);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.status(400).send({
        error: 'bad_request',
        message: `invalid ${error.validationContext ?? 'request'}`,
        issues: error.validation.map((issue) => ({ path: issue.instancePath, message: issue.message })),
      });
    }
    if (error instanceof AccessDenied) {
      return reply
        .status(error.statusCode)
        .send({ error: error.statusCode === 401 ? 'unauthenticated' : 'forbidden', message: error.message });
    }
    // A quarter, listing or review that has no workflow is the caller's unknown id, not a server fault.
    if ((error as unknown) instanceof WorkflowNotFoundError) {
      const id = (error as unknown as WorkflowNotFoundError).workflowId;
      return reply.status(404).send({ error: 'not_found', message: `${id ?? 'the workflow'} does not exist` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .status(status)
      .send({ error: status >= 500 ? 'internal_error' : 'request_error', message: error.message });
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Xuchang durable government workflows',
        description:
          'Hospital nursing subsidy (许政办〔2025〕15号) and existing-housing purchases (许政办〔2025〕10号).',
        version: '0.1.0',
      },
      // Machines call with a bearer token (`cli auth token`); /docs can authorize with one.
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  await typed.register(healthRoutes(deps));
  await typed.register(systemRoutes(deps));
  await typed.register(subsidyRoutes(deps));
  await typed.register(housingRoutes(deps));
  await typed.register(auditRoutes(deps));
  await typed.register(codecRoutes(deps));
  await registerConsole(app, deps);
  return app;
}
