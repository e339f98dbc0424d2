import type { HandlerInput } from '../../routing/define-route';
import { periodSummary } from '../../../services/billing-summary/period-summary';
import { periodSummaryDto } from './dto';

export async function getPeriodSummary({
  deps,
  identity,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return periodSummaryDto(await periodSummary(deps, identity));
}
