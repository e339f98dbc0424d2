import { ValidationError } from '@mikro-orm/core';
import { ApplicationFailure, Context } from '@temporalio/activity';
import Stripe from 'stripe';
import { ZodError } from 'zod';
import { FAILURE } from '../domain/failure-types';
import { classifyStripeError } from './stripe/errors';
import { refusalOf } from '../db/refusals';

/**
 * A unique or foreign-key violation can be a race with a concurrent activity (find-then-insert), which the
 * next attempt resolves by finding the row; past this many attempts it is the data, not the timing.
 */
export const RACE_ATTEMPTS = 3;

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    // Called outside an activity (a script, a test): there is no retry to wait for.
    return Number.POSITIVE_INFINITY;
  }
}

function nonRetryable(err: Error, type: string, code?: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: err.message,
    type,
    nonRetryable: true,
    cause: err,
    details: [{ code: code ?? null }],
  });
}

/**
 * What an activity's failure should be for Temporal: failures that the same input reproduces (the database
 * refusing a value or a constraint, validation, a Stripe 4xx other than 429) become non-retryable with a
 * stable type, so a workflow stops at once instead of retrying for an hour; outages stay retryable.
 */
export function classifyActivityError(err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return err;
  if (err instanceof Stripe.errors.StripeError) {
    try {
      return classifyStripeError(err);
    } catch (classified) {
      return classified;
    }
  }
  if (err instanceof ZodError || err instanceof ValidationError) {
    return nonRetryable(err, FAILURE.invalidData);
  }
  const refusal = refusalOf(err);
  if (refusal?.kind === 'constraint') {
    if (refusal.mayBeRace && attempt() < RACE_ATTEMPTS) return err;
    return nonRetryable(err, FAILURE.constraintViolation, refusal.code);
  }
  if (refusal?.kind === 'data') return nonRetryable(err, FAILURE.invalidData, refusal.code);
  return err;
}

type AsyncFn = (...args: never[]) => Promise<unknown>;

/** Every activity of `acts` with its failures classified in one place (see classifyActivityError). */
export function classifyFailures<T extends Record<string, AsyncFn>>(acts: T): T {
  const wrapped: Record<string, AsyncFn> = {};
  for (const [name, fn] of Object.entries(acts)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw classifyActivityError(err);
      }
    };
  }
  return wrapped as T;
}
