import { accountNamed, decideAccess, needsTodaysUsage, type Entitlement } from '../../domain/access';

const person = { role: 'viewer' as const, email: 'ann@example.com', sub: 'kc-ann' };
const gateway = { role: 'billing-gateway' as const, email: 'gw@example.com', sub: 'svc-gw' };

describe('whose account a call names', () => {
  it.each`
    who              | caller     | email                | userId      | whose
    ${'a person'}    | ${person}  | ${null}              | ${null}     | ${'self'}
    ${'a person'}    | ${person}  | ${'ann@example.com'} | ${null}     | ${'self'}
    ${'a person'}    | ${person}  | ${null}              | ${'kc-ann'} | ${'self'}
    ${'a person'}    | ${person}  | ${'ann@example.com'} | ${'kc-ann'} | ${'self'}
    ${'a person'}    | ${person}  | ${'bob@example.com'} | ${null}     | ${'not_yours'}
    ${'a person'}    | ${person}  | ${null}              | ${'kc-bob'} | ${'not_yours'}
    ${'a person'}    | ${person}  | ${'ann@example.com'} | ${'kc-bob'} | ${'not_yours'}
    ${'the gateway'} | ${gateway} | ${null}              | ${null}     | ${'unnamed'}
    ${'the gateway'} | ${gateway} | ${'ann@example.com'} | ${null}     | ${'customer'}
    ${'the gateway'} | ${gateway} | ${null}              | ${'kc-ann'} | ${'customer'}
    ${'the gateway'} | ${gateway} | ${'gw@example.com'}  | ${null}     | ${'customer'}
  `('$who naming email $email, user $userId → $whose', ({ caller, email, userId, whose }) => {
    expect(accountNamed(caller, { email, userId })).toBe(whose);
  });
});

const resetsAt = new Date('2026-03-11T00:00:00.000Z');
const capped: Entitlement = { status: 'active', planServices: ['chat'], dailyApiCalls: 100 };
const uncapped: Entitlement = { ...capped, dailyApiCalls: null };

describe('the check-access answer', () => {
  it.each`
    case                              | entitlement                        | service   | used    | answer
    ${'no subscription'}              | ${{ ...capped, status: null }}     | ${'chat'} | ${null} | ${{ allowed: false, reason: 'no_subscription', remainingToday: null, resetsAt: null }}
    ${'a paused subscription'}        | ${{ ...capped, status: 'paused' }} | ${'chat'} | ${null} | ${{ allowed: false, reason: 'subscription_paused', remainingToday: null, resetsAt: null }}
    ${'a service not in the plan'}    | ${capped}                          | ${'tts'}  | ${null} | ${{ allowed: false, reason: 'service_not_in_plan', remainingToday: null, resetsAt: null }}
    ${'no daily cap'}                 | ${uncapped}                        | ${'chat'} | ${null} | ${{ allowed: true, reason: 'ok', remainingToday: null, resetsAt: null }}
    ${'under the cap'}                | ${capped}                          | ${'chat'} | ${40}   | ${{ allowed: true, reason: 'ok', remainingToday: 60, resetsAt }}
    ${'one unit left'}                | ${capped}                          | ${'chat'} | ${99}   | ${{ allowed: true, reason: 'ok', remainingToday: 1, resetsAt }}
    ${'the cap reached'}              | ${capped}                          | ${'chat'} | ${100}  | ${{ allowed: false, reason: 'daily_quota_exhausted', remainingToday: 0, resetsAt }}
    ${'past the cap (never below 0)'} | ${capped}                          | ${'chat'} | ${130}  | ${{ allowed: false, reason: 'daily_quota_exhausted', remainingToday: 0, resetsAt }}
  `('$case → $answer.reason', ({ entitlement, service, used, answer }) => {
    expect(needsTodaysUsage(entitlement, service)).toBe(used !== null);
    const today = used === null ? null : { used, resetsAt };
    expect(decideAccess(entitlement, 'pro', service, today)).toEqual({ tier: 'pro', ...answer });
  });
});
