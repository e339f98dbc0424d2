import { randomUUID } from 'node:crypto';

/** Lago's ids are UUIDs; callers never rely on more than that. */
export const lagoId = (): string => randomUUID();

export const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
