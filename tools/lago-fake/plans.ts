import { notFound } from './errors';
import type { Router } from './router';

/** `GET /plans/{code}`: Lago's "retrieve a plan", enough for a setup check to find the engine's tiers. */
export function registerPlans(router: Router): void {
  router.on('GET', '/api/v1/plans/:code', ({ store, params }) => {
    const plan = store.plans.get(params.code ?? '');
    if (!plan) throw notFound('plan');
    return { body: { plan: { ...plan } } };
  });
}
