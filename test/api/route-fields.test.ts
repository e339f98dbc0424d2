import { AppError } from '../../domain/errors';
import { onTheWire } from '../../api/routing/define-route';

const FIELDS = { amountCents: 'body.amount_cents', invoiceId: 'params.id', month: 'query.month' };

describe("a use case's business field reaches the caller as the wire's path", () => {
  it('renames the field and the message that starts with it, keeping kind, code and other details', () => {
    const err = new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', {
      field: 'month',
      got: '2026-13',
    });
    const wired = onTheWire(err, FIELDS) as AppError;
    expect(wired).toBeInstanceOf(AppError);
    expect(wired).toMatchObject({
      kind: 'invalid',
      code: 'validation_failed',
      message: 'query.month: must be YYYY-MM',
    });
    expect(wired.details).toEqual({ field: 'query.month', got: '2026-13' });
  });

  it('renames the field but keeps a message that does not start with it', () => {
    const err = new AppError('conflict', 'invoice_not_paid', 'Only a paid invoice can be refunded', {
      field: 'invoiceId',
    });
    const wired = onTheWire(err, FIELDS) as AppError;
    expect(wired.message).toBe('Only a paid invoice can be refunded');
    expect(wired.details).toEqual({ field: 'params.id' });
  });

  it.each([
    ['an error with no field', new AppError('not_found', 'plan_not_found', 'No plan found')],
    [
      'a field the route does not map',
      new AppError('invalid', 'validation_failed', 'tierId: unknown', { field: 'tierId' }),
    ],
    [
      'a field named like an inherited key',
      new AppError('invalid', 'validation_failed', 'toString: x', { field: 'toString' }),
    ],
    ['an error that is no AppError', new TypeError('boom')],
  ])('passes %s through untouched', (_what, err) => {
    expect(onTheWire(err, FIELDS)).toBe(err);
  });
});
