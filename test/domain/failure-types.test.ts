import { FAILURE, NON_RETRYABLE_FAILURES } from '../../domain/failure-types';

describe('which activity failures the retry policy gives up on at once', () => {
  it.each`
    failure                          | givesUp
    ${FAILURE.notFound}              | ${true}
    ${FAILURE.invalidRequest}        | ${true}
    ${FAILURE.invalidData}           | ${true}
    ${FAILURE.constraintViolation}   | ${true}
    ${FAILURE.cardDeclined}          | ${true}
    ${FAILURE.idempotencyConflict}   | ${true}
    ${FAILURE.stripeMisconfigured}   | ${true}
    ${FAILURE.lagoMisconfigured}     | ${true}
    ${FAILURE.keycloakMisconfigured} | ${false}
    ${FAILURE.lagoUnavailable}       | ${false}
    ${FAILURE.invoiceNotFound}       | ${false}
    ${FAILURE.noCharge}              | ${false}
    ${FAILURE.refundExceedsCharge}   | ${false}
    ${FAILURE.chargeDisputed}        | ${false}
    ${FAILURE.creditExceedsInvoice}  | ${false}
    ${FAILURE.invoiceNotCreditable}  | ${false}
    ${FAILURE.invoiceBusy}           | ${false}
  `('$failure: not retried by the activity retry policy: $givesUp', ({ failure, givesUp }) => {
    expect(NON_RETRYABLE_FAILURES.includes(failure)).toBe(givesUp);
  });

  it('names every failure type in the table above, each by a distinct name', () => {
    const names = Object.values(FAILURE);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(17);
  });
});
