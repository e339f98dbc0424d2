import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../domain/errors';

/** An idempotency key as callers send it: 1-200 printable ASCII characters. */
export const idempotencyKeyField = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** The `Idempotency-Key` header when sent: 1-200 printable ASCII characters, else refused naming it. */
export function headerIdempotencyKey(ctx: Context): string | undefined {
  const header = ctx.get('Idempotency-Key') || undefined;
  if (header !== undefined && !idempotencyKeyField.safeParse(header).success) {
    throw new AppError(
      'invalid',
      'invalid_request',
      'The Idempotency-Key header must be 1-200 printable characters',
      { field: 'headers.idempotency-key' },
    );
  }
  return header;
}

/**
 * The caller's idempotency key, from the `Idempotency-Key` header or the body's `idempotency_key`; both
 * must agree when both are sent.
 */
export function idempotencyKeyOf(ctx: Context, bodyKey: string | undefined): string {
  const header = headerIdempotencyKey(ctx);
  if (header !== undefined && bodyKey !== undefined && header !== bodyKey) {
    throw new AppError(
      'invalid',
      'invalid_request',
      'The Idempotency-Key header and idempotency_key differ',
      {
        field: 'body.idempotency_key',
      },
    );
  }
  const key = header ?? bodyKey;
  if (key === undefined) {
    throw new AppError(
      'invalid',
      'idempotency_key_required',
      'Send an Idempotency-Key header or idempotency_key',
      {
        field: 'headers.idempotency-key',
      },
    );
  }
  return key;
}
