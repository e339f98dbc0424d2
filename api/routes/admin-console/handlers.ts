import type { HandlerInput } from '../../routing/define-route';
import {
  customerInvoices,
  customerProviderKeys,
  customerUsage,
} from '../../../services/admin-lists/customer-detail';
import { dunningRunsInFlight } from '../../../services/operations/dunning-runs';
import { customerUpcomingInvoice } from '../../../services/invoices/upcoming-invoice';
import { customerWhatIfInvoice } from '../../../services/invoices/what-if-invoice';
import { quotaDenialsByDay } from '../../../services/operations/quota-denials';
import { usageRollupState } from '../../../services/operations/rollup-status';
import {
  customerInvoicesDto,
  customerProviderKeysDto,
  customerUpcomingInvoiceDto,
  customerUsageDto,
  dunningRunsDto,
  quotaDenialsDto,
  rollupStatusDto,
  whatIfDto,
} from './dto';
import type { customerInvoicesQuery, customerParams, quotaDenialsQuery, whatIfBody } from './schemas';

type Read<P, Q = undefined> = HandlerInput<P, Q, undefined, 'admin'>;

export const getCustomerInvoices = async ({
  deps,
  params,
  query,
}: Read<typeof customerParams, typeof customerInvoicesQuery>) =>
  customerInvoicesDto(await customerInvoices(deps.orm.em.fork(), params.email, query));

export const getCustomerUpcomingInvoice = async ({ deps, params }: Read<typeof customerParams>) =>
  customerUpcomingInvoiceDto(await customerUpcomingInvoice(deps, params.email));

export const getCustomerUsage = async ({ deps, params }: Read<typeof customerParams>) =>
  customerUsageDto(await customerUsage(deps.orm.em.fork(), params.email, new Date()));

export const getCustomerKeys = async ({ deps, params }: Read<typeof customerParams>) =>
  customerProviderKeysDto(await customerProviderKeys(deps.orm.em.fork(), params.email));

export const getQuotaDenials = async ({ deps, query }: Read<undefined, typeof quotaDenialsQuery>) =>
  quotaDenialsDto(await quotaDenialsByDay(deps.orm.em.fork(), { days: query.days, now: new Date() }));

export const getRollupStatus = async ({ deps }: Read<undefined>) =>
  rollupStatusDto(await usageRollupState(deps, new Date()));

export const getDunningRuns = async ({ deps }: Read<undefined>) =>
  dunningRunsDto(await dunningRunsInFlight(deps));

export async function postCustomerWhatIf({
  deps,
  params,
  body,
}: HandlerInput<typeof customerParams, undefined, typeof whatIfBody, 'admin'>) {
  return whatIfDto(await customerWhatIfInvoice(deps, params.email, body.usage));
}
