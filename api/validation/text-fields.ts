import { z } from 'zod';
import { textProblem } from '../../domain/text';

/**
 * An identifier a caller chooses (event id, user id, reference): non-empty, bounded, and free of every
 * control character and line break. Lone surrogates and other control characters are already refused for
 * every input by the edge guard (untrusted-input.ts); this adds what only identifiers refuse.
 */
export const identifierText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => textProblem(v, { kind: 'identifier' }) === null, {
      message: 'must not contain control characters or line breaks',
    });
