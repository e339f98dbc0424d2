import { useEffect, type ReactNode } from 'react';
import { useAuth } from './auth';
import { Link, navigate, useLocation } from './router';
import { Page } from './components';
import { Plans } from './pages/plans';
import { OidcCallback, SignIn } from './pages/sign-in';
import { Signup } from './pages/signup';
import { CheckoutReturn, CheckoutCanceled } from './pages/checkout-return';
import { Dashboard } from './pages/dashboard';
import { ChangePlan } from './pages/change-plan';
import { CancelPlan } from './pages/cancel';
import { PaymentMethods } from './pages/payment-methods';
import { Invoices } from './pages/invoices';
import { CreditsPage } from './pages/credits';
import { ProviderKeys } from './pages/provider-keys';
import { AdminOverview } from './pages/admin-overview';
import { AdminCustomers } from './pages/admin-customers';
import { AdminCustomer } from './pages/admin-customer';
import { AdminAudit } from './pages/admin-audit';
import { AdminPlans } from './pages/admin-plans';
import { AdminCreditPacks } from './pages/admin-credit-packs';
import { AdminCoupons } from './pages/admin-coupons';
import { AdminWebhooks } from './pages/admin-webhooks';
import { AdminUsage } from './pages/admin-usage';
import { AdminOperations } from './pages/admin-operations';
import { AdminMargins } from './pages/admin-margins';

const NAV: { href: string; label: string; signedIn?: boolean; admin?: boolean }[] = [
  { href: '/plans', label: 'Plans' },
  { href: '/billing', label: 'Billing', signedIn: true },
  { href: '/billing/credits', label: 'Credits', signedIn: true },
  { href: '/billing/invoices', label: 'Invoices', signedIn: true },
  { href: '/billing/payment-methods', label: 'Payment methods', signedIn: true },
  { href: '/billing/keys', label: 'Provider keys', signedIn: true },
  // The operator's console: shown to admins only; the API refuses everyone else (403) on a direct link.
  { href: '/admin', label: 'Revenue', admin: true },
  { href: '/admin/customers', label: 'Customers', admin: true },
  { href: '/admin/plans', label: 'Catalog', admin: true },
  { href: '/admin/credit-packs', label: 'Credit packs', admin: true },
  { href: '/admin/coupons', label: 'Coupons', admin: true },
  { href: '/admin/usage', label: 'Usage', admin: true },
  { href: '/admin/margins', label: 'Margins', admin: true },
  { href: '/admin/webhooks', label: 'Webhooks', admin: true },
  { href: '/admin/operations', label: 'Operations', admin: true },
  { href: '/admin/audit', label: 'Audit log', admin: true },
];

/** Pages that need a signed-in person send everyone else to sign in, and back here afterwards. */
function SignedIn({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const { path, query } = useLocation();
  const here = `${path}${query.size ? `?${query}` : ''}`;
  useEffect(() => {
    if (!session) navigate(`/signin?next=${encodeURIComponent(here)}`, { replace: true });
  }, [session, here]);
  return session ? <>{children}</> : null;
}

function Home() {
  const { session } = useAuth();
  useEffect(() => navigate(session ? '/billing' : '/plans', { replace: true }), [session]);
  return null;
}

function route(path: string): ReactNode {
  switch (path) {
    case '/':
      return <Home />;
    case '/plans':
      return <Plans />;
    case '/signin':
      return <SignIn />;
    case '/auth/callback':
      return <OidcCallback />;
    case '/signup':
      return (
        <SignedIn>
          <Signup />
        </SignedIn>
      );
    case '/billing/canceled':
      return <CheckoutCanceled />;
  }
  const pages: Record<string, () => ReactNode> = {
    '/billing': () => <Dashboard />,
    '/billing/success': () => <CheckoutReturn />,
    '/billing/change-plan': () => <ChangePlan />,
    '/billing/cancel': () => <CancelPlan />,
    '/billing/payment-methods': () => <PaymentMethods />,
    '/billing/credits': () => <CreditsPage />,
    '/billing/invoices': () => <Invoices />,
    '/billing/keys': () => <ProviderKeys />,
    '/admin': () => <AdminOverview />,
    '/admin/customers': () => <AdminCustomers />,
    '/admin/customer': () => <AdminCustomer />,
    '/admin/audit': () => <AdminAudit />,
    '/admin/plans': () => <AdminPlans />,
    '/admin/credit-packs': () => <AdminCreditPacks />,
    '/admin/coupons': () => <AdminCoupons />,
    '/admin/usage': () => <AdminUsage />,
    '/admin/margins': () => <AdminMargins />,
    '/admin/webhooks': () => <AdminWebhooks />,
    '/admin/operations': () => <AdminOperations />,
  };
  const page = pages[path];
  if (page) return <SignedIn>{page()}</SignedIn>;
  return (
    <Page title="Page not found">
      <p>
        There is no page here. Go to the <Link href="/plans">plans</Link> or your{' '}
        <Link href="/billing">billing dashboard</Link>.
      </p>
    </Page>
  );
}

export function App() {
  const { session, config, signOut } = useAuth();
  const { path } = useLocation();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      {config?.mode === 'development' && (
        <div className="dev-banner" role="note">
          Development mode: sign-in uses this engine&rsquo;s local key and payments go to the Stripe emulator.
        </div>
      )}
      <header className="top">
        <Link href="/" className="brand">
          Billing
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => (!n.signedIn || session) && (!n.admin || session?.role === 'admin')).map(
              (n) => (
                <li key={n.href}>
                  <Link href={n.href} aria-current={path === n.href ? 'page' : undefined}>
                    {n.label}
                  </Link>
                </li>
              ),
            )}
          </ul>
        </nav>
        <div className="who">
          {session ? (
            <>
              <span className="email" title={session.email}>
                {session.email}
              </span>
              <button
                type="button"
                className="link"
                onClick={() => {
                  signOut();
                  navigate('/plans');
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <Link href={`/signin?next=${encodeURIComponent(path === '/' ? '/billing' : path)}`}>Sign in</Link>
          )}
        </div>
      </header>
      <main id="main">{route(path)}</main>
      <footer className="bottom">
        <p>
          Prices in your account&rsquo;s currency. <a href="/docs">API documentation</a>
        </p>
      </footer>
    </>
  );
}
