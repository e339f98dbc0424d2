import { serviceEligibility, withinDailyQuota } from '../../domain/access';

const plan = { planServices: ['chat', 'api'], dailyApiCalls: 1000 };

describe('who may use a service', () => {
  it.each`
    status          | service         | dailyApiCalls | verdict
    ${null}         | ${'chat'}       | ${1000}       | ${{ allowed: false, reason: 'no_subscription' }}
    ${'incomplete'} | ${'chat'}       | ${1000}       | ${{ allowed: false, reason: 'subscription_incomplete' }}
    ${'trialing'}   | ${'chat'}       | ${1000}       | ${{ allowed: true, dailyLimit: 1000 }}
    ${'active'}     | ${'api'}        | ${1000}       | ${{ allowed: true, dailyLimit: 1000 }}
    ${'active'}     | ${'api'}        | ${null}       | ${{ allowed: true, dailyLimit: null }}
    ${'active'}     | ${'api'}        | ${0}          | ${{ allowed: true, dailyLimit: 0 }}
    ${'past_due'}   | ${'chat'}       | ${1000}       | ${{ allowed: true, dailyLimit: 1000 }}
    ${'suspended'}  | ${'chat'}       | ${1000}       | ${{ allowed: false, reason: 'subscription_suspended' }}
    ${'paused'}     | ${'chat'}       | ${1000}       | ${{ allowed: false, reason: 'subscription_paused' }}
    ${'canceled'}   | ${'chat'}       | ${1000}       | ${{ allowed: false, reason: 'subscription_canceled' }}
    ${'expired'}    | ${'chat'}       | ${1000}       | ${{ allowed: false, reason: 'subscription_expired' }}
    ${'active'}     | ${'embeddings'} | ${1000}       | ${{ allowed: false, reason: 'service_not_in_plan' }}
    ${'paused'}     | ${'embeddings'} | ${1000}       | ${{ allowed: false, reason: 'subscription_paused' }}
  `(
    'a $status subscription asking for $service (cap $dailyApiCalls) → $verdict',
    ({ status, service, dailyApiCalls, verdict }) => {
      expect(serviceEligibility({ ...plan, status, dailyApiCalls }, service)).toEqual(verdict);
    },
  );
});

describe("a daily cap against today's usage", () => {
  it.each`
    limit   | used    | allowed  | reason                     | remaining
    ${1000} | ${0}    | ${true}  | ${'ok'}                    | ${1000}
    ${1000} | ${999}  | ${true}  | ${'ok'}                    | ${1}
    ${1000} | ${1000} | ${false} | ${'daily_quota_exhausted'} | ${0}
    ${1000} | ${1500} | ${false} | ${'daily_quota_exhausted'} | ${0}
    ${0}    | ${0}    | ${false} | ${'daily_quota_exhausted'} | ${0}
  `(
    '$used used of $limit: allowed $allowed, $remaining left',
    ({ limit, used, allowed, reason, remaining }) => {
      expect(withinDailyQuota(limit, used)).toEqual({ allowed, reason, remaining });
    },
  );
});
