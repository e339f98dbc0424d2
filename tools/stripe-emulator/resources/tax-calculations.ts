import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import { newId } from '../ids';
import { objectList, optInt, optString, reqString } from '../params';
import type { Router } from '../router';
import type { CustomerRec } from '../types';
import { taxOn, taxTreatment } from '../billing/tax';

interface CalculationLine {
  amount: number;
  amount_tax: number;
  quantity: number;
  reference: string;
  tax_behavior: 'exclusive';
}

interface TaxCalculationRec {
  id: string;
  object: 'tax.calculation';
  amount_total: number;
  created: number;
  currency: string;
  customer: string;
  expires_at: number;
  livemode: false;
  tax_amount_exclusive: number;
  tax_amount_inclusive: 0;
  tax_breakdown: {
    amount: number;
    inclusive: false;
    tax_rate_details: { country: string | null; percentage_decimal: string; tax_type: string | null };
    taxability_reason: string;
    taxable_amount: number;
  }[];
  tax_date: number;
  _lines: CalculationLine[];
  _recorded?: string;
}

interface TaxTransactionRec {
  id: string;
  object: 'tax.transaction';
  created: number;
  currency: string;
  customer: string;
  livemode: false;
  reference: string;
  tax_date: number;
  type: 'transaction';
  _calculation: string;
}

/**
 * Stripe Tax's calculations and transactions for payments outside invoices and Checkout (an off-session
 * top-up): a calculation prices the tax at the customer's rate; recording it as a transaction, once per
 * reference, is what Stripe reports as collected.
 */
export function registerTaxCalculations(router: Router, emu: Emulator): void {
  router.post('/v1/tax/calculations', ({ params }) => {
    const currency = reqString(params, 'currency').toLowerCase();
    const customerId = optString(params, 'customer');
    if (!customerId) throw missingParam('customer');
    const customer = emu.store.get<CustomerRec>('customer', customerId, 'customer');
    const items = objectList(params, 'line_items');
    if (items.length === 0) throw missingParam('line_items');
    const t = taxTreatment(emu, customer);
    const lines: CalculationLine[] = items.map((li, i) => {
      const amount = optInt(li, 'amount');
      if (amount === undefined || amount < 0)
        throw invalidParam(`line_items[${i}][amount]`, 'An amount of zero or more, in the smallest unit.');
      const behavior = optString(li, 'tax_behavior') ?? 'exclusive';
      if (behavior !== 'exclusive')
        throw invalidParam(`line_items[${i}][tax_behavior]`, 'The emulator prices exclusive tax only.');
      return {
        amount,
        amount_tax: taxOn(amount, t.basisPoints),
        quantity: optInt(li, 'quantity') ?? 1,
        reference: optString(li, 'reference') ?? `L${i + 1}`,
        tax_behavior: 'exclusive',
      };
    });
    const taxable = lines.reduce((s, l) => s + l.amount, 0);
    const tax = lines.reduce((s, l) => s + l.amount_tax, 0);
    const now = emu.realNow();
    const calc = emu.store.put<TaxCalculationRec>({
      id: newId('taxcalc', 24),
      object: 'tax.calculation',
      amount_total: taxable + tax,
      created: now,
      currency,
      customer: customer.id,
      expires_at: now + 90 * 86_400,
      livemode: false,
      tax_amount_exclusive: tax,
      tax_amount_inclusive: 0,
      tax_breakdown: [
        {
          amount: tax,
          inclusive: false,
          tax_rate_details: {
            country: customer.address?.country ?? null,
            percentage_decimal: (t.basisPoints / 100).toFixed(4),
            tax_type: t.basisPoints > 0 ? 'vat' : null,
          },
          taxability_reason: t.reason ?? 'not_collecting',
          taxable_amount: taxable,
        },
      ],
      tax_date: now,
      _lines: lines,
    });
    return emu.present(calc);
  });
  router.post('/v1/tax/transactions/create_from_calculation', ({ params }) => {
    const calc = emu.store.get<TaxCalculationRec>(
      'tax.calculation',
      reqString(params, 'calculation'),
      'calculation',
    );
    const reference = reqString(params, 'reference');
    const taken = emu.store.all<TaxTransactionRec>('tax.transaction').some((x) => x.reference === reference);
    if (taken) throw invalidRequest(`A transaction with reference ${reference} already exists.`, 'reference');
    if (calc._recorded)
      throw invalidRequest('This calculation was already recorded as a transaction.', 'calculation');
    const tx = emu.store.put<TaxTransactionRec>({
      id: newId('tax', 24),
      object: 'tax.transaction',
      created: emu.realNow(),
      currency: calc.currency,
      customer: calc.customer,
      livemode: false,
      reference,
      tax_date: calc.tax_date,
      type: 'transaction',
      _calculation: calc.id,
    });
    calc._recorded = tx.id;
    return emu.present(tx);
  });
  router.get('/v1/tax/transactions/:id', ({ pathParams }) =>
    emu.present(emu.store.get<TaxTransactionRec>('tax.transaction', pathParams['id'] ?? '')),
  );
}
