/** What each subscription status means to the customer, and what to do about it. */
export const STATUS: Record<
  string,
  { label: string; tone: 'good' | 'warn' | 'bad' | 'neutral'; text: string }
> = {
  none: {
    label: 'No plan',
    tone: 'neutral',
    text: 'You have no paid plan. Pick one on the Plans page to start.',
  },
  incomplete: {
    label: 'Awaiting payment',
    tone: 'warn',
    text: 'Checkout has not been paid yet. Finish paying, or start again from the Plans page.',
  },
  trialing: {
    label: 'Trial',
    tone: 'good',
    text: 'Your trial is running. Pick the plan it continues into before it ends, or access stops then.',
  },
  active: { label: 'Active', tone: 'good', text: 'Everything is paid and your plan is in use.' },
  past_due: {
    label: 'Payment failed',
    tone: 'bad',
    text: 'Your last payment failed. We retry over the next days; pay the invoice now to keep access.',
  },
  suspended: {
    label: 'Suspended',
    tone: 'bad',
    text: 'Payments failed for too long, so access is suspended. Pay the open invoice to restore it.',
  },
  paused: {
    label: 'Paused',
    tone: 'neutral',
    text: 'Your plan is paused: nothing is billed and access is off until it is resumed.',
  },
  canceled: {
    label: 'Canceled',
    tone: 'neutral',
    text: 'Your plan has ended. You can subscribe again from the Plans page at any time.',
  },
  expired: {
    label: 'Expired',
    tone: 'neutral',
    text: 'Your plan has expired. Subscribe again from the Plans page to get access back.',
  },
};

export function statusOf(status: string) {
  return STATUS[status] ?? { label: status, tone: 'neutral' as const, text: '' };
}
