import { isDatabaseUnreachable } from '../../db/unreachable';

describe('which database errors mean "unreachable, send it again"', () => {
  const wrapped = (cause: unknown) => Object.assign(new Error('query failed'), { cause });
  it.each`
    case                                               | err                                                                                | unreachable
    ${'connection refused'}                            | ${Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })}      | ${true}
    ${'server shut down under the connection (57P01)'} | ${Object.assign(new Error('terminating connection'), { code: '57P01' })}           | ${true}
    ${'server starting up (57P03)'}                    | ${Object.assign(new Error('starting'), { code: '57P03' })}                         | ${true}
    ${'connection cut mid-query'}                      | ${new Error('Connection terminated unexpectedly')}                                 | ${true}
    ${'no connection free in time'}                    | ${new Error('Knex: Timeout acquiring a connection. The pool is probably full.')}   | ${true}
    ${'wrapped by the ORM (cause)'}                    | ${wrapped(Object.assign(new Error('x'), { code: '08006' }))}                       | ${true}
    ${'wrapped by the ORM (previous)'}                 | ${Object.assign(new Error('x'), { previous: new Error('Connection terminated') })} | ${true}
    ${'a unique violation (23505)'}                    | ${Object.assign(new Error('duplicate key value'), { code: '23505' })}              | ${false}
    ${'a syntax error (42601)'}                        | ${Object.assign(new Error('syntax error'), { code: '42601' })}                     | ${false}
    ${'a plain bug'}                                   | ${new TypeError("Cannot read properties of undefined (reading 'id')")}             | ${false}
    ${'not an error at all'}                           | ${'ECONNREFUSED'}                                                                  | ${false}
  `('$case → $unreachable', ({ err, unreachable }) => {
    expect(isDatabaseUnreachable(err)).toBe(unreachable);
  });

  it('stops following a cycle of causes', () => {
    const a: { message: string; cause?: unknown } = { message: 'a' };
    a.cause = a;
    expect(isDatabaseUnreachable(a)).toBe(false);
  });
});
