import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { type Config, dataPaths } from '../config';
import { type Actor, ROLES, type Role, SCOPED_ROLES } from './roles';

const ISSUER = 'xuchang-workflows';
const AUDIENCE = 'xuchang-api';

/** AUTH_SECRET (base64, ≥ 32 bytes) from the environment; for the embedded stack, generated once under DATA_DIR/keys. */
export function loadTokenSecret(config: Config): Uint8Array {
  if (config.AUTH_SECRET) return Buffer.from(config.AUTH_SECRET, 'base64');
  const file = path.join(dataPaths(config).keys, 'auth.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export class TokenError extends Error {
  override name = 'TokenError';
}

/** Issues a signed token (HS256) for an actor; county reviewers must name their jurisdiction. */
export async function issueToken(secret: Uint8Array, actor: Actor, ttl = '8h'): Promise<string> {
  if (!ROLES.includes(actor.role)) throw new TokenError(`unknown role ${actor.role}`);
  if (SCOPED_ROLES.includes(actor.role) && !actor.jurisdiction)
    throw new TokenError(`a ${actor.role} token needs a jurisdiction`);
  return new SignJWT({ role: actor.role, ...(actor.jurisdiction ? { jurisdiction: actor.jurisdiction } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.subject)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
}

/** Verifies signature, issuer, audience and expiry; returns the actor or throws a TokenError saying why. */
export async function verifyToken(secret: Uint8Array, token: string): Promise<Actor> {
  try {
    const { payload } = await jwtVerify(token, secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
    const role = payload.role as Role;
    if (!payload.sub || !ROLES.includes(role)) throw new TokenError('token has no valid subject or role');
    const jurisdiction = typeof payload.jurisdiction === 'string' ? payload.jurisdiction : undefined;
    return { subject: payload.sub, role, ...(jurisdiction ? { jurisdiction } : {}) };
  } catch (error) {
    if (error instanceof TokenError) throw error;
    if (error instanceof errors.JWTExpired) throw new TokenError('token expired');
    throw new TokenError('token invalid');
  }
}
