import type { Emulator } from '../emulator';
import { invalidParam, missingParam } from '../errors';
import type { Params } from '../form';
import { paginate } from '../list';
import { mergeMetadata, optInt, optObject, optString, reqString } from '../params';
import type { Router } from '../router';
import type { CustomerRec, PaymentMethodRec } from '../types';
import {
  attachPaymentMethod,
  cardFromNumber,
  createCardPaymentMethod,
  createSepaDebitPaymentMethod,
  createUsBankAccountPaymentMethod,
  detachPaymentMethod,
  resolvePaymentMethod,
} from '../billing/payment-methods';
import { cardForToken } from '../cards';

function listFor(emu: Emulator, customer: string, params: Params, url: string) {
  const type = optString(params, 'type');
  const items = emu.store
    .all<PaymentMethodRec>('payment_method')
    .filter((pm) => pm.customer === customer && (!type || pm.type === type));
  const page = paginate(items, params, url);
  return { ...page, data: page.data.map((pm) => emu.present(pm)) };
}

export function registerPaymentMethods(router: Router, emu: Emulator): void {
  router.post('/v1/payment_methods', ({ params }) => {
    const type = optString(params, 'type') ?? 'card';
    const details = optObject(params, 'billing_details') ?? {};
    const who = { name: optString(details, 'name') || null, email: optString(details, 'email') || null };
    if (type === 'sepa_debit' || type === 'us_bank_account') {
      const bank = optObject(params, type);
      if (!bank) throw missingParam(type);
      const pm =
        type === 'sepa_debit'
          ? createSepaDebitPaymentMethod(emu, reqString(bank, 'iban'), who)
          : createUsBankAccountPaymentMethod(
              emu,
              {
                accountNumber: reqString(bank, 'account_number'),
                routingNumber: reqString(bank, 'routing_number'),
                holderType: optString(bank, 'account_holder_type') === 'company' ? 'company' : 'individual',
              },
              who,
            );
      pm.metadata = mergeMetadata({}, params);
      return emu.present(pm);
    }
    if (type !== 'card')
      throw invalidParam(
        'type',
        'The emulator supports card, sepa_debit and us_bank_account payment methods.',
      );
    const card = optObject(params, 'card');
    if (!card) throw missingParam('card');
    const token = optString(card, 'token');
    const testCard = token ? cardForToken(token) : cardFromNumber(reqString(card, 'number'));
    if (!testCard) throw invalidParam('card[token]', `No such token: '${token ?? ''}'`);
    const pm = createCardPaymentMethod(emu, testCard, {
      expMonth: optInt(card, 'exp_month'),
      expYear: optInt(card, 'exp_year'),
      ...who,
    });
    pm.metadata = mergeMetadata({}, params);
    return emu.present(pm);
  });
  router.get('/v1/payment_methods/:id', ({ pathParams }) =>
    emu.present(emu.store.get('payment_method', pathParams['id'] ?? '')),
  );
  router.post('/v1/payment_methods/:id', ({ pathParams, params }) => {
    const pm = emu.store.get<PaymentMethodRec>('payment_method', pathParams['id'] ?? '');
    pm.metadata = mergeMetadata(pm.metadata ?? {}, params);
    const details = optObject(params, 'billing_details');
    if (details) {
      const name = optString(details, 'name');
      const email = optString(details, 'email');
      if (name !== undefined) pm.billing_details.name = name || null;
      if (email !== undefined) pm.billing_details.email = email || null;
    }
    emu.emit('payment_method.updated', pm);
    return emu.present(pm);
  });
  router.post('/v1/payment_methods/:id/attach', ({ pathParams, params }) => {
    const pm = resolvePaymentMethod(emu, pathParams['id'] ?? '', 'payment_method');
    const customer = emu.store.get<CustomerRec>('customer', reqString(params, 'customer'), 'customer');
    return emu.present(attachPaymentMethod(emu, pm, customer));
  });
  router.post('/v1/payment_methods/:id/detach', ({ pathParams }) => {
    const pm = emu.store.get<PaymentMethodRec>('payment_method', pathParams['id'] ?? '');
    return emu.present(detachPaymentMethod(emu, pm));
  });
  router.get('/v1/payment_methods', ({ params }) =>
    listFor(emu, reqString(params, 'customer'), params, '/v1/payment_methods'),
  );
  router.get('/v1/customers/:id/payment_methods', ({ pathParams, params }) => {
    const customer = emu.store.get<CustomerRec>('customer', pathParams['id'] ?? '');
    return listFor(emu, customer.id, params, `/v1/customers/${customer.id}/payment_methods`);
  });
  router.get('/v1/customers/:id/payment_methods/:pm', ({ pathParams }) => {
    const pm = emu.store.get<PaymentMethodRec>('payment_method', pathParams['pm'] ?? '');
    if (pm.customer !== pathParams['id'])
      throw invalidParam('payment_method', `No such PaymentMethod: '${pm.id}'`);
    return emu.present(pm);
  });
}
