import type { HandlerInput } from '../../routing/define-route';
import {
  customerInvoices,
  customerProviderKeys,
  customerUsage,
} from '../../../services/admin-lists/customer-detail';
import type { customerInvoicesQuery, customerParams } from './schemas';

type Read<P, Q = undefined> = HandlerInput<P, Q, undefined, 'admin'>;

export const getCustomerInvoices = ({
  deps,
  params,
  query,
}: Read<typeof customerParams, typeof customerInvoicesQuery>) =>
  customerInvoices(deps.orm.em.fork(), params.email, query);

export const getCustomerUsage = ({ deps, params }: Read<typeof customerParams>) =>
  customerUsage(deps.orm.em.fork(), params.email, new Date());

export const getCustomerKeys = ({ deps, params }: Read<typeof customerParams>) =>
  customerProviderKeys(deps.orm.em.fork(), params.email);
