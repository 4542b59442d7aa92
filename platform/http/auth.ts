import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Actor, Role } from '../security/roles';
import { SCOPED_ROLES } from '../security/roles';
import { TokenError, verifyToken } from '../security/tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireRole from a verified bearer token. */
    actor?: Actor;
  }
  interface FastifyInstance {
    tokenSecret: Uint8Array;
  }
}

/**
 * The work console's session cookie (api/console): a token like a bearer token, issued at sign-in to a
 * local account, HttpOnly and SameSite=Strict, re-checked against the account on every request. The JSON
 * routes never read it: machines send bearer tokens; the console forwards the session's token to them.
 */
export const SESSION_COOKIE = 'xc_session';

/** A request that may not go further: 401 without a valid token, 403 outside the caller's role or scope. */
export class AccessDenied extends Error {
  override name = 'AccessDenied';
  constructor(
    readonly statusCode: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}

/** The value of one cookie of the request (no cookie plugin needed for one cookie). */
export function cookieValue(request: FastifyRequest, name: string): string {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return '';
    }
  }
  return '';
}

function roleCheck(roles: Role[], tokenOf: (request: FastifyRequest) => string): preHandlerAsyncHookHandler {
  return async function (this: unknown, request: FastifyRequest, reply: FastifyReply) {
    const token = tokenOf(request);
    if (!token) return reply.status(401).send({ error: 'unauthenticated', message: 'a bearer token is required' });
    try {
      request.actor = await verifyToken(request.server.tokenSecret, token);
    } catch (error) {
      const message = error instanceof TokenError ? error.message : 'token invalid';
      return reply.status(401).send({ error: 'unauthenticated', message });
    }
    if (!roles.includes(request.actor.role)) {
      return reply.status(403).send({
        error: 'forbidden',
        message: `role ${request.actor.role} may not do this (needs ${roles.join(' or ')})`,
      });
    }
  };
}

/** Verifies the bearer token and that its role is one of `roles`; sets `request.actor`. */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return roleCheck(roles, bearerToken);
}

/**
 * Like requireRole, but also accepts the token from an HttpOnly cookie: for the codec server, which
 * the Temporal Web UI calls from the browser without an Authorization header (see app/api/routes/codec.ts).
 * Only for read-style endpoints behind CORS and SameSite=Strict; mutating routes use requireRole.
 */
export function requireRoleOrCookie(cookie: string, ...roles: Role[]): preHandlerAsyncHookHandler {
  return roleCheck(roles, (request) => bearerToken(request) || cookieValue(request, cookie));
}

/** A scoped actor (county reviewer, a county's finance bureau) acts only for their own jurisdiction. */
export function assertJurisdiction(request: FastifyRequest, jurisdiction: string): void {
  const actor = request.actor;
  if (!actor) throw new AccessDenied(401, 'a bearer token is required');
  const scoped = SCOPED_ROLES.includes(actor.role) || actor.jurisdiction !== undefined;
  if (scoped && actor.jurisdiction !== jurisdiction) {
    throw new AccessDenied(403, `${actor.role} of ${actor.jurisdiction ?? '?'} may not act for ${jurisdiction}`);
  }
}

/** How an actor is named in event metadata: `role:subject`. */
export function actorOf(request: FastifyRequest): string {
  const actor = request.actor;
  return actor ? `${actor.role}:${actor.subject}` : 'anonymous';
}
