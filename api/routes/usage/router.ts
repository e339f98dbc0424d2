import { LARGE_BODY_LIMIT } from '../../middleware/body';
import { defineRoute } from '../../routing/define-route';
import { getUsage, getUsageRecords, getUsageStats, postReportUsage, postResetUsage } from './handlers';
import {
  emailParams,
  reportUsageBody,
  resetUsageBody,
  usageRecordsQuery,
  usageStatsQuery,
  usageTypeBody,
  reportUsageResponse,
  usageResponse,
  usageRecordsResponse,
  resetUsageResponse,
  usageStatsResponse,
  usageTypesResponse,
  usageTypeResponse,
} from './schemas';
import { getUsageTypes, postUsageType } from './type-handlers';

export const usageRoutes = [
  defineRoute({
    method: 'post',
    path: '/billing/report_usage',
    summary:
      'Report metered usage: one event or {"events": […]} (≤1,000); idempotent by event id per reporter (the gateway, or the customer themself); good events of a batch are kept',
    tags: ['usage'],
    access: 'viewer|billing-gateway',
    body: reportUsageBody,
    bodyGuard: 'handler',
    // A flood of reports is refused at the door rather than queued: the gateway retries, access stays fast.
    shedAbove: 'USAGE_REPORTS_IN_FLIGHT_MAX',
    // What the gateway sends after every model call: answered beside Koa's chain (api/routing/bare-lane.ts).
    bare: true,
    // A batch of up to 1,000 events, each with up to 4 KB of metadata.
    bodyLimit: LARGE_BODY_LIMIT,
    errors: {
      400: 'The event (or the batch envelope) does not validate',
      403: 'Only the gateway (billing-gateway role) reports for other customers',
      404: 'The caller has no customer record',
      429: 'The daily limit is used up (Retry-After: seconds until 00:00 UTC)',
    },
    response: reportUsageResponse,
    handler: postReportUsage,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/usage',
    summary: "The caller's usage today and this period per type, and the credits it used",
    tags: ['usage'],
    access: 'viewer',
    response: usageResponse,
    handler: getUsage,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/usage_records',
    summary: "The caller's usage events and rollups, and where each was reported",
    tags: ['usage'],
    access: 'viewer',
    query: usageRecordsQuery,
    response: usageRecordsResponse,
    handler: getUsageRecords,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/subscriptions/:email/reset-usage',
    summary: "Zero a customer's daily quota counters for today (audited; billed usage is kept)",
    tags: ['usage', 'admin'],
    access: 'admin',
    params: emailParams,
    body: resetUsageBody,
    errors: { 404: 'No customer with that email' },
    response: resetUsageResponse,
    handler: postResetUsage,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/subscriptions/analytics/usage-stats',
    summary: 'Usage across customers: per type and day, top customers today, rollup backlog',
    tags: ['usage', 'admin'],
    access: 'admin',
    query: usageStatsQuery,
    response: usageStatsResponse,
    handler: getUsageStats,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/usage-types',
    summary: 'Usage types events may carry: the built-in ones and those admins added',
    tags: ['usage', 'admin'],
    access: 'admin',
    response: usageTypesResponse,
    handler: getUsageTypes,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/usage-types',
    summary: 'Add a usage type (audited)',
    tags: ['usage', 'admin'],
    access: 'admin',
    body: usageTypeBody,
    fields: { code: 'body.code' },
    status: 201,
    errors: { 409: 'The type exists' },
    response: usageTypeResponse,
    handler: postUsageType,
  }),
];
