import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** Deliveries of one status to one endpoint. */
export interface EndpointBacklogRow {
  endpoint_id: string;
  status: string;
  n: number | string;
}

/** What is still waiting for each endpoint and what was given up, so an admin sees a stuck receiver. */
export function pendingAndFailedDeliveries(
  em: EntityManager,
  endpointIds: string[],
): Promise<EndpointBacklogRow[]> {
  return sqlFor(em).run<EndpointBacklogRow>(
    `select endpoint_id, status, count(*) as n from webhook_deliveries
     where endpoint_id in (${endpointIds.map(() => '?').join(', ')}) and status in ('pending', 'failed')
     group by endpoint_id, status`,
    endpointIds,
  );
}
