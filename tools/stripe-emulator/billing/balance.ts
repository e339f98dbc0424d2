import type { Emulator } from '../emulator';
import { newId } from '../ids';
import type { CustomerBalanceTransactionRec, CustomerRec } from '../types';

/**
 * Moves a customer's credit balance by `amount` (negative: a credit to the customer, positive: a debit)
 * and records the move as Stripe does, so a caller can account for what paid which invoice.
 */
export function moveBalance(
  emu: Emulator,
  customer: CustomerRec,
  amount: number,
  type: CustomerBalanceTransactionRec['type'],
  opts: {
    currency: string;
    invoice?: string | null;
    creditNote?: string | null;
    description?: string | null;
    metadata?: Record<string, string>;
  },
): CustomerBalanceTransactionRec {
  customer.balance += amount;
  if (customer.currency === null) customer.currency = opts.currency;
  return emu.store.put<CustomerBalanceTransactionRec>({
    id: newId('cbtxn', 24),
    object: 'customer_balance_transaction',
    amount,
    created: emu.nowFor(customer.id),
    credit_note: opts.creditNote ?? null,
    currency: opts.currency,
    customer: customer.id,
    description: opts.description ?? null,
    ending_balance: customer.balance,
    invoice: opts.invoice ?? null,
    livemode: false,
    metadata: opts.metadata ?? {},
    type,
  });
}
