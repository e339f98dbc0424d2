import { api, call } from './api/client';
import { Card } from './components';
import { useLoad } from './data';
import { PrepaidCommits } from './prepaid-commit';

/** The customer's prepaid commits on their Invoices page: nothing when they never had one. */
export function OwnPrepaidCommits() {
  const state = useLoad(() => call(api.GET('/api/v1/billing/prepaid-commits')), 'own-prepaid-commits');
  const commits = state.data?.commits ?? [];
  if (commits.length === 0) return null;
  return (
    <Card id="prepaid-commits" title="Prepaid commits" wide>
      <p>
        What you paid up front is credit on your account: it pays your invoices first, until it runs out or
        its term ends.
      </p>
      <PrepaidCommits commits={commits} />
    </Card>
  );
}
