/**
 * The chaos run's customers: each has a persona that decides its month (how it signs up, what it changes,
 * whether its renewal fails), and goes through the engine's public API as the web app would, paying on
 * the emulator's hosted page. Every step a customer takes is one a person may take more than once.
 */
import { until, type Client } from './client';

export type Persona =
  | 'steady'
  | 'declined-first'
  | 'secure-card'
  | 'dunning'
  | 'upgrade'
  | 'downgrade'
  | 'canceller'
  | 'pauser'
  | 'trial'
  | 'leaver'
  | 'prepaid'
  | 'capped';

export const PERSONAS: readonly Persona[] = [
  'steady',
  'declined-first',
  'secure-card',
  'dunning',
  'upgrade',
  'downgrade',
  'canceller',
  'pauser',
  'trial',
  'leaver',
  'prepaid',
  'capped',
];

const CARD = {
  works: '4242424242424242',
  declined: '4000000000000002',
  secure: '4000002500003155',
};

export interface ChaosCustomer {
  index: number;
  persona: Persona;
  email: string;
  token: string;
  tier: string;
  /** Steps that did not go as the persona expects (the run fails on any). */
  surprises: string[];
  /** Renewal pending for this customer (its clock is advanced). */
  renews: boolean;
  /** A trial paid with a card that already paid for one (every trial of the run pays with the same card). */
  secondTrial: boolean;
}

export function planFor(persona: Persona): string {
  if (persona === 'trial') return 'trial';
  return persona === 'declined-first' || persona === 'downgrade' || persona === 'pauser'
    ? 'professional'
    : 'starter';
}

type Sub = { status?: string; tier?: string; cancel_at_period_end?: boolean; paused?: boolean } | null;

export class CustomerActions {
  constructor(
    private readonly api: Client,
    private readonly stripe: Client,
  ) {}

  subscription(c: ChaosCustomer) {
    return this.api.retrying<Sub>('GET', '/api/v1/billing/subscription', { token: c.token });
  }

  waitFor(c: ChaosCustomer, what: string, ok: (sub: Sub) => boolean, timeoutMs = 180_000) {
    return until(`${c.email}: ${what}`, () => this.subscription(c).then((r) => r.body), ok, timeoutMs, 500);
  }

  /** Checkout, paid on the hosted page; a declined card first for that persona; resolves once active. */
  async signUp(c: ChaosCustomer): Promise<void> {
    const body =
      c.tier === 'trial'
        ? { tier_id: 'trial', continuation: { tier_id: 'starter', billing_cycle: 'monthly' } }
        : { tier_id: c.tier };
    // A new session each time is what a person retrying the page gets; the emulator's sessions of a lost
    // answer are simply never paid.
    const checkout = await this.api.retrying('POST', '/api/v1/billing/checkout/create', {
      token: c.token,
      body,
    });
    if (checkout.status !== 200) {
      c.surprises.push(`checkout answered ${checkout.status} ${JSON.stringify(checkout.body)}`);
      return;
    }
    const session = String(checkout.body.session_id);
    const pay = (card: string) =>
      this.stripe.retrying('POST', `/_emulator/checkout_sessions/${session}/complete`, {
        form: { card_number: card },
      });
    if (c.persona === 'declined-first') {
      const declined = await pay(CARD.declined);
      if (declined.status !== 402) c.surprises.push(`a declined card answered ${declined.status}`);
    }
    const paid = await pay(c.persona === 'secure-card' ? CARD.secure : CARD.works);
    if (paid.status !== 200) {
      c.surprises.push(`paying answered ${paid.status} ${JSON.stringify(paid.body)}`);
      return;
    }
    if (c.secondTrial) {
      // The card already paid for a trial: the engine ends this one before any access, and refunds it.
      await this.waitFor(
        c,
        'the second trial refused',
        (s) => s?.status === 'none' || s?.status === 'canceled',
      );
      return;
    }
    const want = c.tier === 'trial' ? 'trialing' : 'active';
    await this.waitFor(c, `status ${want}`, (s) => s?.status === want);
  }

  /** Plan changes made now, before usage: the period is rated by the plan it ends on. */
  async change(c: ChaosCustomer): Promise<void> {
    const to = c.persona === 'upgrade' ? 'professional' : c.persona === 'downgrade' ? 'starter' : null;
    if (!to) return;
    const answer = await this.api.retrying('POST', '/api/v1/billing/subscription/upgrade', {
      token: c.token,
      body: { new_tier_id: to, when: 'now' },
    });
    if (answer.status !== 200) {
      c.surprises.push(`changing to ${to} answered ${answer.status} ${JSON.stringify(answer.body)}`);
      return;
    }
    c.tier = to;
    await this.waitFor(c, `the plan ${to}`, (s) => s?.tier === to);
  }

  /** The dunning persona's card starts failing before its renewal. */
  async beforeRenewal(c: ChaosCustomer): Promise<void> {
    if (c.persona !== 'dunning') return;
    const answer = await this.api.retrying('POST', '/api/v1/stripe/attach_payment_method', {
      token: c.token,
      body: { payment_method_id: 'pm_card_chargeCustomerFail' },
    });
    if (answer.status !== 200) c.surprises.push(`attaching the failing card answered ${answer.status}`);
  }

  /** What each persona expects once its renewal has been through Stripe. */
  async afterRenewal(c: ChaosCustomer): Promise<void> {
    if (c.persona === 'dunning') {
      await this.waitFor(c, 'past_due after the failed renewal', (s) => s?.status === 'past_due');
    } else if (c.renews) {
      await this.waitFor(c, 'active after the renewal', (s) => s?.status === 'active');
    }
  }

  /** A card that works: the engine retries the unpaid invoice at once (dunning recovers). */
  async recover(c: ChaosCustomer): Promise<void> {
    if (c.persona !== 'dunning') return;
    const answer = await this.api.retrying('POST', '/api/v1/stripe/attach_payment_method', {
      token: c.token,
      body: { payment_method_id: 'pm_card_visa' },
    });
    if (answer.status !== 200) c.surprises.push(`attaching a working card answered ${answer.status}`);
  }

  /** `extraMs`: what a fault struck just before may add to the customer's wait (the caller says why). */
  async recovered(c: ChaosCustomer, extraMs = 0): Promise<void> {
    if (c.persona === 'dunning')
      await this.waitFor(c, 'active after dunning', (s) => s?.status === 'active', 180_000 + extraMs);
  }

  /**
   * Before usage: the prepaid persona buys a credit pack through Checkout (its usage draws the credits
   * first); the capped one allows no overage at all, so usage past the plan's included credits is refused.
   */
  async prepare(c: ChaosCustomer, pack: { id: string; credits: number } | null): Promise<void> {
    if (c.persona === 'prepaid' && pack) {
      const bought = await this.api.retrying('POST', '/api/v1/billing/credits/purchase', {
        token: c.token,
        body: { pack_id: pack.id },
      });
      if (bought.status !== 200)
        return void c.surprises.push(
          `buying credits answered ${bought.status} ${JSON.stringify(bought.body)}`,
        );
      const paid = await this.stripe.retrying(
        'POST',
        `/_emulator/checkout_sessions/${String(bought.body.session_id)}/complete`,
        { form: { card_number: CARD.works } },
      );
      if (paid.status !== 200) return void c.surprises.push(`paying for credits answered ${paid.status}`);
      await until(
        `${c.email}: ${pack.credits} credits granted`,
        () => this.api.retrying('GET', '/api/v1/billing/credits', { token: c.token }).then((r) => r.body),
        (b) => (b as { balance?: number } | null)?.balance === pack.credits,
        180_000,
        500,
      );
    } else if (c.persona === 'capped') {
      const cap = await this.api.retrying('PUT', '/api/v1/billing/spend-cap', {
        token: c.token,
        body: { amount_cents: 0, mode: 'block' },
      });
      if (cap.status !== 200) c.surprises.push(`setting the spend cap answered ${cap.status}`);
    }
  }

  /** The month's last moves: cancel and take it back, pause and unpause, leave now. */
  async finale(c: ChaosCustomer): Promise<void> {
    const post = (path: string, body: unknown = {}) =>
      this.api.retrying('POST', `/api/v1/billing/subscription/${path}`, { token: c.token, body });
    if (c.persona === 'canceller') {
      const cancel = await post('cancel', { at_period_end: true });
      if (cancel.status !== 200) return void c.surprises.push(`cancel answered ${cancel.status}`);
      await this.waitFor(c, 'cancel at period end', (s) => s?.cancel_at_period_end === true);
      const resume = await post('resume');
      if (resume.status !== 200) return void c.surprises.push(`resume answered ${resume.status}`);
      await this.waitFor(c, 'resumed', (s) => s?.cancel_at_period_end === false);
    } else if (c.persona === 'pauser') {
      const pause = await post('pause');
      // A plan that does not allow pausing says so; that is an answer, not a fault.
      if (pause.status === 409) return;
      if (pause.status !== 200) return void c.surprises.push(`pause answered ${pause.status}`);
      await this.waitFor(c, 'paused', (s) => s?.status === 'paused' || s?.paused === true);
      const unpause = await post('unpause');
      if (unpause.status !== 200) return void c.surprises.push(`unpause answered ${unpause.status}`);
      await this.waitFor(c, 'unpaused', (s) => s?.status === 'active');
    } else if (c.persona === 'leaver') {
      const cancel = await post('cancel', { at_period_end: false });
      if (cancel.status !== 200) return void c.surprises.push(`cancel now answered ${cancel.status}`);
      await this.waitFor(c, 'no plan any more', (s) => s?.status === 'none' || s?.status === 'canceled');
    }
  }
}
