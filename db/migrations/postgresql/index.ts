import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000002_SeedPlanCatalog } from '../shared/Migration20261122000002_SeedPlanCatalog';
import { Migration20261122000001_Initial } from './Migration20261122000001_Initial';
import { Migration20261122000003_HistoryAndIndexes } from './Migration20261122000003_HistoryAndIndexes';
import { Migration20261122000004_UsagePrices } from './Migration20261122000004_UsagePrices';
import { Migration20261122090040_PendingChange } from './Migration20261122090040_PendingChange';
import { Migration20261122095751_EngineSettings } from './Migration20261122095751_EngineSettings';
import { Migration20261122110709_ChargeMirror } from './Migration20261122110709_ChargeMirror';
import { Migration20261122111518_TrialCard } from './Migration20261122111518_TrialCard';
import { Migration20261122130925_CreditNotes } from './Migration20261122130925_CreditNotes';
import { Migration20261122131902_ChargeDisputes } from './Migration20261122131902_ChargeDisputes';
import { Migration20261122132830_RefundMirror } from './Migration20261122132830_RefundMirror';
import { Migration20261122213304_AccessSyncFailures } from './Migration20261122213304_AccessSyncFailures';
import { Migration20261122214646_PlanPausable } from './Migration20261122214646_PlanPausable';
import { Migration20261123003428_QuotaDenials } from './Migration20261123003428_QuotaDenials';
import { Migration20261123004942_KeysetIndexes } from './Migration20261123004942_KeysetIndexes';
import { Migration20261123033737_DailyUsageTotals } from './Migration20261123033737_DailyUsageTotals';
import { Migration20261123065723_UsageEventIdFirst } from './Migration20261123065723_UsageEventIdFirst';
import { Migration20261123120000_InvoiceListVersion } from './Migration20261123120000_InvoiceListVersion';
import { Migration20261123180000_TableCounts } from './Migration20261123180000_TableCounts';
import { Migration20261123190000_RateLimitBuckets } from './Migration20261123190000_RateLimitBuckets';
import { Migration20261123200000_UsageEventReporter } from './Migration20261123200000_UsageEventReporter';

/** Applied in this order; add each generated migration here. */
export const postgresMigrations: MigrationObject[] = [
  { name: 'Migration20261122000001_Initial', class: Migration20261122000001_Initial },
  { name: 'Migration20261122000002_SeedPlanCatalog', class: Migration20261122000002_SeedPlanCatalog },
  { name: 'Migration20261122000003_HistoryAndIndexes', class: Migration20261122000003_HistoryAndIndexes },
  { name: 'Migration20261122000004_UsagePrices', class: Migration20261122000004_UsagePrices },
  { name: 'Migration20261122090040_PendingChange', class: Migration20261122090040_PendingChange },
  { name: 'Migration20261122095751_EngineSettings', class: Migration20261122095751_EngineSettings },
  { name: 'Migration20261122110709_ChargeMirror', class: Migration20261122110709_ChargeMirror },
  { name: 'Migration20261122111518_TrialCard', class: Migration20261122111518_TrialCard },
  { name: 'Migration20261122130925_CreditNotes', class: Migration20261122130925_CreditNotes },
  { name: 'Migration20261122131902_ChargeDisputes', class: Migration20261122131902_ChargeDisputes },
  { name: 'Migration20261122132830_RefundMirror', class: Migration20261122132830_RefundMirror },
  { name: 'Migration20261122213304_AccessSyncFailures', class: Migration20261122213304_AccessSyncFailures },
  { name: 'Migration20261122214646_PlanPausable', class: Migration20261122214646_PlanPausable },
  { name: 'Migration20261123003428_QuotaDenials', class: Migration20261123003428_QuotaDenials },
  { name: 'Migration20261123004942_KeysetIndexes', class: Migration20261123004942_KeysetIndexes },
  { name: 'Migration20261123033737_DailyUsageTotals', class: Migration20261123033737_DailyUsageTotals },
  { name: 'Migration20261123065723_UsageEventIdFirst', class: Migration20261123065723_UsageEventIdFirst },
  { name: 'Migration20261123120000_InvoiceListVersion', class: Migration20261123120000_InvoiceListVersion },
  { name: 'Migration20261123180000_TableCounts', class: Migration20261123180000_TableCounts },
  { name: 'Migration20261123190000_RateLimitBuckets', class: Migration20261123190000_RateLimitBuckets },
  { name: 'Migration20261123200000_UsageEventReporter', class: Migration20261123200000_UsageEventReporter },
];
