import type { TestResponse } from './api';

/** A request body and how it must be refused: status, error code and (when the API names one) field. */
export type Refusal = [
  body: Record<string, unknown>,
  status: number,
  code: string,
  field: string | undefined,
];

/** Sends each body and checks its refusal; a failure names the body that was not refused as expected. */
export async function expectRefusals(
  send: (body: Record<string, unknown>) => Promise<TestResponse>,
  cases: Refusal[],
): Promise<void> {
  for (const [body, status, code, field] of cases) {
    const r = await send(body);
    expect({
      body,
      status: r.status,
      code: r.body?.error?.code,
      field: field && r.body?.error?.details?.field,
    }).toEqual({ body, status, code, field });
  }
}
