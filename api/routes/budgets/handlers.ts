import type { HandlerInput } from '../../routing/define-route';
import {
  customerBudgets,
  ownBudgets,
  removeOwnBudget,
  setOwnBudget,
} from '../../../services/budgets/subject-budgets';
import { budgetsDto } from './dto';
import type { budgetBody, customerBudgetParams, subjectParams } from './schemas';

export async function getOwnBudgets({
  deps,
  identity,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return budgetsDto(await ownBudgets(deps, identity));
}

export async function putOwnBudget({
  deps,
  identity,
  params,
  body,
}: HandlerInput<typeof subjectParams, undefined, typeof budgetBody, 'viewer'>) {
  return budgetsDto(
    await setOwnBudget(deps, identity, {
      subject: params.subject,
      per: body.per,
      limitUnits: body.limit_units,
      alertPercent: body.alert_percent,
    }),
  );
}

export async function deleteOwnBudget({
  deps,
  identity,
  params,
}: HandlerInput<typeof subjectParams, undefined, undefined, 'viewer'>) {
  return budgetsDto(await removeOwnBudget(deps, identity, params.subject));
}

export async function getCustomerBudgets({
  deps,
  params,
}: HandlerInput<typeof customerBudgetParams, undefined, undefined, 'admin'>) {
  return budgetsDto(await customerBudgets(deps, params.email));
}
