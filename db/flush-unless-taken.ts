import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';

/**
 * Flushes what `em` holds; false when a unique column refused it (another request wrote the same thing
 * first), with the refused rows dropped from `em` so it can be used again.
 */
export async function flushUnlessTaken(em: EntityManager): Promise<boolean> {
  try {
    await em.flush();
    return true;
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    em.clear();
    return false;
  }
}
