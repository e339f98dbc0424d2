import { z } from 'zod';
import { defineRoute } from '../../route';
import { addKey, getStats, listKeys, listProviders, removeKey, testKey } from './handlers';
import {
  addKeyBody,
  keyTestResponse,
  providerInfoResponse,
  providerKeyResponse,
  providerParams,
  statsResponse,
} from './schemas';

export const byokRoutes = [
  defineRoute({
    method: 'get',
    path: '/byok/providers',
    summary: 'LLM providers whose keys customers may bring, and which the caller has stored',
    tags: ['byok'],
    access: 'viewer',
    response: z.array(providerInfoResponse),
    handler: listProviders,
  }),
  defineRoute({
    method: 'get',
    path: '/byok/keys',
    summary: "The caller's provider keys: provider, hint, dates and last test, never the key",
    tags: ['byok'],
    access: 'viewer',
    response: z.array(providerKeyResponse),
    handler: listKeys,
  }),
  defineRoute({
    method: 'post',
    path: '/byok/keys/add',
    summary: "Store the caller's key for a provider (encrypted); a second add replaces the first",
    tags: ['byok'],
    access: 'viewer',
    body: addKeyBody,
    response: providerKeyResponse.extend({ replaced: z.boolean() }),
    handler: addKey,
  }),
  defineRoute({
    method: 'delete',
    path: '/byok/keys/:provider',
    summary: "Delete the caller's key for a provider",
    tags: ['byok'],
    access: 'viewer',
    params: providerParams,
    errors: { 404: 'The caller has no key for this provider' },
    handler: removeKey,
  }),
  defineRoute({
    method: 'post',
    path: '/byok/keys/test/:provider',
    summary: "Check the caller's stored key with its provider and record the result",
    tags: ['byok'],
    access: 'viewer',
    params: providerParams,
    response: keyTestResponse,
    errors: { 404: 'The caller has no key for this provider', 409: 'The stored key can no longer be read' },
    handler: testKey,
  }),
  defineRoute({
    method: 'get',
    path: '/byok/stats',
    summary: "The caller's keys per provider, test outcomes, and usage run on their own keys",
    tags: ['byok'],
    access: 'viewer',
    response: statsResponse,
    handler: getStats,
  }),
];
