import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { requireRoleOrCookie } from '../../../platform/http/auth';
import { EncryptionCodec, payloadFromJson, payloadToJson } from '../../../platform/security/codec';
import { canSeePersonalData, maskPersonalData } from '../../../platform/security/masking';
import type { Role } from '../../../platform/security/roles';
import { TokenError, verifyToken } from '../../../platform/security/tokens';
import { payloadKeyRing } from '../../../platform/temporal/client';
import type { ApiDeps } from '../deps';

/**
 * The codec server of the Temporal Web UI (codec-server protocol: POST {endpoint}/decode and /encode
 * with `{payloads: [...]}`). The browser calls it directly, cross-origin, after a CORS preflight.
 *
 * Authentication: the UI can only pass its own access token over HTTPS, so on the local http stack
 * the operator signs in once at /codec/login with an API token; the token is kept in an HttpOnly,
 * SameSite=Strict cookie scoped to /codec, and the UI sends it when its codec setting "Include
 * cross-origin credentials" is on. A bearer token in the Authorization header works too (CLI, tests,
 * an HTTPS UI with passAccessToken).
 */
export const CODEC_COOKIE = 'xuchang_codec';
/** Who may read decoded payloads. County reviewers are not here: a payload has no jurisdiction to scope by. */
export const CODEC_DECODE_ROLES: Role[] = [
  'administrator',
  'auditor',
  'city_health_commission',
  'finance',
  'housing_task_force',
];
/** Encoding (the UI's "start workflow" / signal forms) writes into workflows: administrators only. */
export const CODEC_ENCODE_ROLES: Role[] = ['administrator'];

const jsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
const payloadsBody = z.object({ payloads: z.array(jsonPayload).max(10_000) });
const refusal = z.object({ error: z.string(), message: z.string() });
const BODY_LIMIT = 32 * 1024 * 1024;

const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : '');

/**
 * For roles that do not need personal data, decoded JSON has ID numbers and accounts masked; a
 * payload that cannot be read as JSON stays encrypted rather than be shown in full.
 */
function maskedForRole(decoded: Payload, encrypted: Payload): Payload {
  const encoding = text(decoded.metadata?.[METADATA_ENCODING_KEY]);
  if (encoding === 'binary/null') return decoded;
  if (encoding !== 'json/plain' && encoding !== 'json/protobuf') return encrypted;
  try {
    const value = JSON.parse(text(decoded.data)) as unknown;
    return { ...decoded, data: Buffer.from(JSON.stringify(maskPersonalData(value)), 'utf8') };
  } catch {
    return encrypted;
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:46rem;margin:2rem auto;line-height:1.5}textarea{width:100%;height:8rem}code{background:#eee;padding:0 .2rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function codecRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const origins = new Set(deps.codec?.corsOrigins ?? []);
    const codec = () => new EncryptionCodec(deps.codec?.keyRing ?? payloadKeyRing());
    const endpointOf = (request: FastifyRequest) => `${request.protocol}://${request.host}/codec`;

    // CORS for the UI's origin only; credentials allowed so the session cookie travels. Set before
    // authentication so that the UI can also read a 401 or 403.
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin && origins.has(origin)) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-allow-credentials', 'true');
      }
      reply.header('vary', 'Origin');
      reply.header('cache-control', 'no-store');
    });

    app.route({
      method: 'OPTIONS',
      url: '/codec/*',
      schema: { hide: true },
      handler: async (request, reply) => {
        if (request.headers.origin && origins.has(request.headers.origin)) {
          reply.header('access-control-allow-methods', 'POST, OPTIONS');
          reply.header(
            'access-control-allow-headers',
            'content-type, x-namespace, authorization, authorization-extras',
          );
          reply.header('access-control-max-age', '600');
        }
        return reply.status(204).send();
      },
    });

    app.post(
      '/codec/decode',
      {
        preHandler: requireRoleOrCookie(CODEC_COOKIE, ...CODEC_DECODE_ROLES),
        bodyLimit: BODY_LIMIT,
        schema: {
          summary:
            'Decrypts payloads for the Temporal Web UI (codec-server protocol); personal data masked for roles that do not need it',
          tags: ['codec'],
          body: payloadsBody,
          response: { 200: payloadsBody, 401: refusal, 403: refusal },
        },
      },
      async (request) => {
        const reveal = canSeePersonalData(request.actor!.role);
        const decoder = codec();
        const payloads = await Promise.all(
          request.body.payloads.map(async (json) => {
            const encrypted = payloadFromJson(json);
            try {
              const [decoded] = await decoder.decode([encrypted]);
              return payloadToJson(reveal ? decoded! : maskedForRole(decoded!, encrypted));
            } catch (error) {
              // One unreadable payload (a key no longer in the ring) must not hide the others.
              request.log.warn(
                { reason: error instanceof Error ? error.message : String(error) },
                'codec: payload left encoded',
              );
              return json;
            }
          }),
        );
        return { payloads };
      },
    );

    app.post(
      '/codec/encode',
      {
        preHandler: requireRoleOrCookie(CODEC_COOKIE, ...CODEC_ENCODE_ROLES),
        bodyLimit: BODY_LIMIT,
        schema: {
          summary: 'Encrypts payloads entered in the Temporal Web UI (codec-server protocol)',
          tags: ['codec'],
          body: payloadsBody,
          response: { 200: payloadsBody, 401: refusal, 403: refusal },
        },
      },
      async (request) => {
        const encoded = await codec().encode(request.body.payloads.map(payloadFromJson));
        return { payloads: encoded.map(payloadToJson) };
      },
    );

    app.get(
      '/codec/login',
      { schema: { summary: 'Sign-in page for the Web UI’s codec session', tags: ['codec'] } },
      async (request, reply) => {
        const body = `<p>Paste an API token (<code>npm run cli -- auth token --role auditor</code>; roles that may decode:
${CODEC_DECODE_ROLES.map((r) => `<code>${r}</code>`).join(', ')}). It is kept in an HttpOnly cookie for this codec server only.</p>
<form method="post" action="/codec/session"><textarea name="token" required autofocus></textarea><p><button type="submit">Sign in</button></p></form>
${afterSignIn(endpointOf(request), deps.codec?.uiUrl)}`;
        return reply.type('text/html; charset=utf-8').send(page('Temporal UI codec: sign in', body));
      },
    );

    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );

    app.post(
      '/codec/session',
      {
        schema: {
          summary: 'Starts a codec session: verifies the token and keeps it in an HttpOnly cookie scoped to /codec',
          tags: ['codec'],
          body: z.object({ token: z.string().trim().min(1).max(4_096) }),
        },
      },
      async (request, reply) => {
        const token = request.body.token;
        let role: Role;
        let subject: string;
        try {
          ({ role, subject } = await verifyToken(request.server.tokenSecret, token));
        } catch (error) {
          return refuse(reply, 401, error instanceof TokenError ? error.message : 'token invalid');
        }
        if (!CODEC_DECODE_ROLES.includes(role)) return refuse(reply, 403, `role ${role} may not read decoded payloads`);
        const exp = decodeJwt(token).exp ?? 0;
        const maxAge = Math.max(0, exp - Math.floor(Date.now() / 1000));
        const secure = request.protocol === 'https' ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${CODEC_COOKIE}=${encodeURIComponent(token)}; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`,
        );
        request.log.info({ role, subject }, 'codec session started');
        const body = `<p id="signed-in">Signed in as <code>${escapeHtml(subject)}</code> (<code>${escapeHtml(role)}</code>) until ${escapeHtml(new Date(exp * 1000).toISOString())}.</p>
${afterSignIn(endpointOf(request), deps.codec?.uiUrl)}
<form method="post" action="/codec/logout"><button type="submit">Sign out</button></form>`;
        return reply.type('text/html; charset=utf-8').send(page('Temporal UI codec: signed in', body));
      },
    );

    app.post(
      '/codec/logout',
      { schema: { summary: 'Ends the codec session', tags: ['codec'] } },
      async (_request, reply) => {
        reply.header('set-cookie', `${CODEC_COOKIE}=; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=0`);
        return reply
          .type('text/html; charset=utf-8')
          .send(page('Temporal UI codec: signed out', '<p>The codec cookie is removed.</p>'));
      },
    );

    // Who am I, for the operator checking a session (and for tests): the cookie or a bearer token.
    app.get(
      '/codec/session',
      {
        preHandler: requireRoleOrCookie(CODEC_COOKIE, ...CODEC_DECODE_ROLES),
        schema: {
          summary: 'The codec session’s actor',
          tags: ['codec'],
          response: { 200: z.object({ subject: z.string(), role: z.string() }), 401: refusal, 403: refusal },
        },
      },
      async (request) => ({ subject: request.actor!.subject, role: request.actor!.role }),
    );
  };
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string) {
  return reply.status(status).send({ error: status === 401 ? 'unauthenticated' : 'forbidden', message });
}

function afterSignIn(endpoint: string, uiUrl: string | undefined): string {
  return `<h2>Then, in the Temporal Web UI${uiUrl ? ` (<a href="${escapeHtml(uiUrl)}">${escapeHtml(uiUrl)}</a>)` : ''}</h2>
<ol><li>open <em>Codec Server</em> settings (the data-encoder button at the top of a workflow page);</li>
<li>choose <em>Use my browser setting</em>, endpoint <code>${escapeHtml(endpoint)}</code>;</li>
<li>tick <em>Include cross-origin credentials</em> and apply.</li></ol>
<p>Open the UI and this page under the same host name (both <code>127.0.0.1</code>, or both <code>localhost</code>): the cookie is SameSite=Strict.</p>`;
}
