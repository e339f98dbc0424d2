import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000002_SeedPlanCatalog } from '../shared/Migration20261122000002_SeedPlanCatalog';
import { Migration20261122000001_Initial } from './Migration20261122000001_Initial';
import { Migration20261122000003_HistoryAndIndexes } from './Migration20261122000003_HistoryAndIndexes';
import { Migration20261122000004_UsagePrices } from './Migration20261122000004_UsagePrices';
import { Migration20261122090040_PendingChange } from './Migration20261122090040_PendingChange';
import { Migration20261122095749_EngineSettings } from './Migration20261122095749_EngineSettings';
import { Migration20261122110706_ChargeMirror } from './Migration20261122110706_ChargeMirror';
import { Migration20261122111516_TrialCard } from './Migration20261122111516_TrialCard';
import { Migration20261122130923_CreditNotes } from './Migration20261122130923_CreditNotes';
import { Migration20261122131901_ChargeDisputes } from './Migration20261122131901_ChargeDisputes';
import { Migration20261122132829_RefundMirror } from './Migration20261122132829_RefundMirror';
import { Migration20261122213301_AccessSyncFailures } from './Migration20261122213301_AccessSyncFailures';
import { Migration20261122214642_PlanPausable } from './Migration20261122214642_PlanPausable';
import { Migration20261123003426_QuotaDenials } from './Migration20261123003426_QuotaDenials';
import { Migration20261123004932_KeysetIndexes } from './Migration20261123004932_KeysetIndexes';
import { Migration20261123033734_DailyUsageTotals } from './Migration20261123033734_DailyUsageTotals';
import { Migration20261123065714_UsageEventIdFirst } from './Migration20261123065714_UsageEventIdFirst';
import { Migration20261123071148_UsageEventsNoCustomerIndex } from './Migration20261123071148_UsageEventsNoCustomerIndex';
import { Migration20261123120000_InvoiceListVersion } from './Migration20261123120000_InvoiceListVersion';
import { Migration20261123180000_TableCounts } from './Migration20261123180000_TableCounts';
import { Migration20261123190000_RateLimitBuckets } from './Migration20261123190000_RateLimitBuckets';

/** Applied in this order; add each generated migration here. */
export const sqliteMigrations: MigrationObject[] = [
  { name: 'Migration20261122000001_Initial', class: Migration20261122000001_Initial },
  { name: 'Migration20261122000002_SeedPlanCatalog', class: Migration20261122000002_SeedPlanCatalog },
  { name: 'Migration20261122000003_HistoryAndIndexes', class: Migration20261122000003_HistoryAndIndexes },
  { name: 'Migration20261122000004_UsagePrices', class: Migration20261122000004_UsagePrices },
  { name: 'Migration20261122090040_PendingChange', class: Migration20261122090040_PendingChange },
  { name: 'Migration20261122095749_EngineSettings', class: Migration20261122095749_EngineSettings },
  { name: 'Migration20261122110706_ChargeMirror', class: Migration20261122110706_ChargeMirror },
  { name: 'Migration20261122111516_TrialCard', class: Migration20261122111516_TrialCard },
  { name: 'Migration20261122130923_CreditNotes', class: Migration20261122130923_CreditNotes },
  { name: 'Migration20261122131901_ChargeDisputes', class: Migration20261122131901_ChargeDisputes },
  { name: 'Migration20261122132829_RefundMirror', class: Migration20261122132829_RefundMirror },
  { name: 'Migration20261122213301_AccessSyncFailures', class: Migration20261122213301_AccessSyncFailures },
  { name: 'Migration20261122214642_PlanPausable', class: Migration20261122214642_PlanPausable },
  { name: 'Migration20261123003426_QuotaDenials', class: Migration20261123003426_QuotaDenials },
  { name: 'Migration20261123004932_KeysetIndexes', class: Migration20261123004932_KeysetIndexes },
  { name: 'Migration20261123033734_DailyUsageTotals', class: Migration20261123033734_DailyUsageTotals },
  { name: 'Migration20261123065714_UsageEventIdFirst', class: Migration20261123065714_UsageEventIdFirst },
  { name: 'Migration20261123071148_UsageEventsNoCustomerIndex', class: Migration20261123071148_UsageEventsNoCustomerIndex },
  { name: 'Migration20261123120000_InvoiceListVersion', class: Migration20261123120000_InvoiceListVersion },
  { name: 'Migration20261123180000_TableCounts', class: Migration20261123180000_TableCounts },
  { name: 'Migration20261123190000_RateLimitBuckets', class: Migration20261123190000_RateLimitBuckets },
];
