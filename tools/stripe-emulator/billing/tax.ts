import type { Emulator } from '../emulator';
import { invalidParam } from '../errors';
import { newId } from '../ids';
import type { CustomerRec, InvoiceLineRec, LineTax, TaxAddress, TaxIdRec } from '../types';

/**
 * The emulator's Stripe Tax: a fixed table of standard rates by the customer's country, so tests check tax
 * to the cent. The account is a seller outside the EU registered for the EU's one-stop shop: consumers pay
 * their country's VAT; a business with a verified EU VAT id self-accounts (reverse charge, no tax).
 * Countries not in the table are ones the account does not collect in (no tax, `not_collecting`).
 */
const STANDARD_RATES: Record<string, { basisPoints: number; name: string }> = {
  AT: { basisPoints: 2000, name: 'VAT' },
  BE: { basisPoints: 2100, name: 'VAT' },
  DE: { basisPoints: 1900, name: 'VAT' },
  DK: { basisPoints: 2500, name: 'VAT' },
  ES: { basisPoints: 2100, name: 'VAT' },
  FI: { basisPoints: 2550, name: 'VAT' },
  FR: { basisPoints: 2000, name: 'VAT' },
  IE: { basisPoints: 2300, name: 'VAT' },
  IT: { basisPoints: 2200, name: 'VAT' },
  LU: { basisPoints: 1700, name: 'VAT' },
  NL: { basisPoints: 2100, name: 'VAT' },
  PL: { basisPoints: 2300, name: 'VAT' },
  PT: { basisPoints: 2300, name: 'VAT' },
  SE: { basisPoints: 2500, name: 'VAT' },
  GB: { basisPoints: 2000, name: 'VAT' },
  NO: { basisPoints: 2500, name: 'VAT' },
  CH: { basisPoints: 810, name: 'VAT' },
  AU: { basisPoints: 1000, name: 'GST' },
  NZ: { basisPoints: 1500, name: 'GST' },
};
const EU = new Set([
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
]);

/** An EU VAT number as Stripe checks its form: the country's prefix (EL for Greece), then 8 to 12 characters. */
export function validEuVat(value: string, country: string | null): boolean {
  const m = /^([A-Z]{2})([0-9A-Z]{8,12})$/.exec(value.replace(/[\s.-]/g, '').toUpperCase());
  if (!m) return false;
  const prefix = m[1] === 'EL' ? 'GR' : m[1];
  return EU.has(prefix as string) && (country === null || prefix === country);
}

export function blankAddress(country: string | null): TaxAddress {
  return { country, line1: null, line2: null, city: null, postal_code: null, state: null };
}

/** A tax id on the customer, verified when its form is valid (the emulator's stand-in for VIES). */
export function addTaxId(emu: Emulator, customer: CustomerRec, type: string, value: string): TaxIdRec {
  if (type !== 'eu_vat') throw invalidParam('type', 'The emulator knows EU VAT ids (eu_vat) only.');
  const country = customer.address?.country ?? null;
  const rec = emu.store.put<TaxIdRec>({
    id: newId('txi', 24),
    object: 'tax_id',
    country: value.slice(0, 2).toUpperCase().replace('EL', 'GR'),
    created: emu.realNow(),
    customer: customer.id,
    livemode: false,
    type,
    value: value.replace(/[\s.-]/g, '').toUpperCase(),
    verification: {
      status: validEuVat(value, country) ? 'verified' : 'unverified',
      verified_address: null,
      verified_name: null,
    },
  });
  customer._taxIds = [...(customer._taxIds ?? []), rec.id];
  emu.emit('customer.tax_id.created', rec);
  return rec;
}

export function taxIdsOf(emu: Emulator, customer: CustomerRec): TaxIdRec[] {
  return (customer._taxIds ?? []).map((id) => emu.store.get<TaxIdRec>('tax_id', id));
}

/** The tax rate object a line's tax names, made once per country and rate. */
function taxRateId(emu: Emulator, country: string, basisPoints: number, name: string): string {
  const id = `txr_${country}${basisPoints}`;
  if (!emu.store.find(id))
    emu.store.put({
      id,
      object: 'tax_rate',
      active: true,
      country,
      created: emu.realNow(),
      description: null,
      display_name: name,
      effective_percentage: basisPoints / 100,
      inclusive: false,
      jurisdiction: country,
      livemode: false,
      metadata: {},
      percentage: basisPoints / 100,
      state: null,
      tax_type: 'vat',
    });
  return id;
}

/** Why a customer is taxed as they are, and at what rate: the whole decision, in one place. */
export function taxTreatment(
  emu: Emulator,
  customer: CustomerRec,
): { reason: LineTax['taxability_reason']; basisPoints: number; rate: string } {
  const country = customer.address?.country ?? null;
  const standard = country ? STANDARD_RATES[country] : undefined;
  if (!country || !standard)
    return { reason: 'not_collecting', basisPoints: 0, rate: taxRateId(emu, country ?? 'XX', 0, 'None') };
  const business = taxIdsOf(emu, customer).some(
    (t) => t.type === 'eu_vat' && t.verification.status === 'verified' && t.country === country,
  );
  if (business && EU.has(country))
    return { reason: 'reverse_charge', basisPoints: 0, rate: taxRateId(emu, country, 0, standard.name) };
  return {
    reason: 'standard_rated',
    basisPoints: standard.basisPoints,
    rate: taxRateId(emu, country, standard.basisPoints, standard.name),
  };
}

/** The tax on an amount at a rate in basis points, rounded half up to the cent, as Stripe rounds per line. */
export function taxOn(amount: number, basisPoints: number): number {
  if (amount <= 0 || basisPoints === 0) return 0;
  return Math.floor((amount * basisPoints + 5000) / 10_000);
}

/**
 * Stripe Tax on an invoice's lines: each line taxed on what it costs after its discounts, and the invoice's
 * taxes summed per rate. Negative lines (prorations' credits) take tax back at the same rate.
 */
export function taxLines(
  emu: Emulator,
  customer: CustomerRec,
  lines: InvoiceLineRec[],
): { total: number; totalTaxes: LineTax[] } {
  const t = taxTreatment(emu, customer);
  let total = 0;
  for (const line of lines) {
    const taxable = line.amount - (line.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0);
    const amount = Math.sign(taxable) * taxOn(Math.abs(taxable), t.basisPoints);
    line.taxes = [
      {
        amount,
        tax_behavior: 'exclusive',
        tax_rate_details: { tax_rate: t.rate },
        taxability_reason: t.reason,
        taxable_amount: taxable,
        type: 'tax_rate_details',
      },
    ];
    total += amount;
  }
  const taxable = lines.reduce((s, l) => s + (l.taxes?.[0]?.taxable_amount ?? 0), 0);
  return {
    total,
    totalTaxes: [
      {
        amount: total,
        tax_behavior: 'exclusive',
        tax_rate_details: { tax_rate: t.rate },
        taxability_reason: t.reason,
        taxable_amount: taxable,
        type: 'tax_rate_details',
      },
    ],
  };
}
