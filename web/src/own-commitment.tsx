import { api, call } from './api/client';
import { CommitmentPeriods, commitmentTerms } from './commitment';
import { Card } from './components';
import { useLoad } from './data';

/** The customer's minimum commitment on their Invoices page: nothing when they never had one. */
export function OwnCommitment() {
  const state = useLoad(() => call(api.GET('/api/v1/billing/commitment')), 'own-commitment');
  const c = state.data;
  if (!c || (!c.commitment && c.periods.length === 0)) return null;
  return (
    <Card id="commitment" title="Minimum commitment" wide>
      {c.commitment && (
        <p data-testid="own-commitment">
          You are billed {commitmentTerms(c.commitment)}. When a period is billed less, the difference is
          invoiced once it ends.
        </p>
      )}
      <CommitmentPeriods periods={c.periods} />
    </Card>
  );
}
