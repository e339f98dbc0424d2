import { ServiceError } from '@temporalio/client';
import { AppError } from '../../../domain/errors';
import { toAppError } from '../../../services/temporal/gateway';

/** A gRPC failure as the Temporal client raises it: its ServiceError caused by the call's status. */
function temporalFailure(code: number, details: string) {
  const grpc = Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  return new ServiceError('Failed to get Workflow execution history', { cause: grpc });
}

describe('a Temporal failure as the engine answers it', () => {
  it.each`
    code  | details                            | status           | errorCode
    ${8}  | ${'Workflow is busy.'}             | ${'unavailable'} | ${'workflow_busy'}
    ${8}  | ${'namespace rate limit exceeded'} | ${'unavailable'} | ${'workflow_busy'}
    ${14} | ${'connection refused'}            | ${'unavailable'} | ${'temporal_unavailable'}
    ${9}  | ${'workflow task failing'}         | ${'unavailable'} | ${'workflow_unavailable'}
    ${4}  | ${'deadline exceeded'}             | ${'timeout'}     | ${'workflow_timeout'}
  `('gRPC $code ($details) is $errorCode', ({ code, details, status, errorCode }) => {
    const answer = toAppError(temporalFailure(code, details));
    expect(answer).toBeInstanceOf(AppError);
    expect({ kind: (answer as AppError).kind, code: (answer as AppError).code }).toEqual({
      kind: status,
      code: errorCode,
    });
  });

  it('lets any other failure through as it is, for the 500 it is', () => {
    const other = temporalFailure(13, 'internal');
    expect(toAppError(other)).toBe(other);
  });
});
