import type { Context } from 'koa';
import { AppError, conflict } from '../../domain/errors';
import { errorHandler } from '../../api/middleware/error-handler';

/** What the error handler answers when the rest of the chain throws `thrown`. */
async function answerTo(thrown: unknown) {
  const headers: Record<string, string> = {};
  const logged: string[] = [];
  const ctx = {
    method: 'GET',
    path: '/x',
    status: 200,
    body: undefined as unknown,
    state: {
      requestId: 'req-1',
      log: {
        error: (_: unknown, m: string) => logged.push(m),
        warn: (_: unknown, m: string) => logged.push(m),
      },
    },
    set: (k: string, v: string) => (headers[k] = v),
  };
  await errorHandler(ctx as unknown as Context, () => Promise.reject(thrown));
  return { status: ctx.status, body: ctx.body, headers, logged };
}

describe('every refusal the API sends', () => {
  it.each([
    ['a use case refusal', conflict('plan_exists', 'A plan "pro" already exists', { field: 'code' }), 409],
    ['a refusal without details', new AppError('not_found', 'plan_not_found', 'No plan found'), 404],
    [
      'a client error the HTTP server raised',
      Object.assign(new Error('x'), { status: 400, expose: false }),
      400,
    ],
    ['a fault of the engine', new TypeError('boom'), 500],
    [
      'an unreachable database',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      503,
    ],
  ])('has the one shape: %s', async (_what, thrown, status) => {
    const answer = await answerTo(thrown);
    expect(answer.status).toBe(status);
    const body = answer.body as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error)).toEqual(['code', 'message', 'details']);
    expect(typeof body.error.code).toBe('string');
    expect(typeof body.error.message).toBe('string');
    expect(body.error.details).toEqual(expect.any(Object));
  });

  it('keeps the code, message and details a use case gave', async () => {
    const answer = await answerTo(
      conflict('pack_code_exists', 'A pack with code "p" exists', { field: 'code' }),
    );
    expect(answer.body).toEqual({
      error: { code: 'pack_code_exists', message: 'A pack with code "p" exists', details: { field: 'code' } },
    });
  });

  it('tells a fault by its request id alone, and logs it', async () => {
    const answer = await answerTo(new Error('secret internals'));
    expect(answer.body).toEqual({
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side',
        details: { request_id: 'req-1' },
      },
    });
    expect(answer.logged).toEqual(['unhandled error']);
  });

  it("asks for an unreachable database's call again, after a second", async () => {
    const answer = await answerTo(Object.assign(new Error('cut'), { code: '57P01' }));
    expect((answer.body as { error: { code: string } }).error.code).toBe('database_unavailable');
    expect(answer.headers).toEqual({ 'Retry-After': '1' });
    expect(answer.logged).toEqual(['database unreachable']);
  });

  it('answers a client error with a code outside the registry as bad_request', async () => {
    const answer = await answerTo(
      Object.assign(new Error('Nope'), { status: 400, code: 'E_WEIRD', expose: true }),
    );
    expect(answer.body).toEqual({ error: { code: 'bad_request', message: 'Nope', details: {} } });
  });
});
