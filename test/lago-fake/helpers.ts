import type { LagoFake } from '../../tools/lago-fake';

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A raw call to the fake, so that its tests see the wire exactly as a Lago client does. */
export async function call(
  fake: LagoFake,
  method: string,
  path: string,
  body?: unknown,
  apiKey: string | null = fake.apiKey,
): Promise<Answer> {
  const res = await fetch(`${fake.url}/api/v1${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export const usageEvent = (transactionId: string, externalSubscriptionId = 'sub-1') => ({
  transaction_id: transactionId,
  external_subscription_id: externalSubscriptionId,
  code: 'api_calls',
  timestamp: 1735689600,
  properties: { tokens: 10 },
});
