import type { Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { reservePort, startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { KEYCLOAK_START_TIMEOUT_MS, startTestKeycloak, type TestKeycloak } from '../helpers/keycloak';
import { launchChromium, screenshot, seriousA11yViolations } from './browser';

/**
 * The web app's sign-in with OpenID Connect (authorization code with PKCE, public client) against a real
 * Keycloak: the tokens stay in memory, are renewed before they expire, a page load resumes the session
 * through Keycloak's own, and signing out ends both.
 */
describe('signing in to the web app with Keycloak', () => {
  let kc: TestKeycloak;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let base: string;
  let issuer: string;
  let user: { email: string; password: string };
  // Holds the engine's own client role admin (resource_access.billing-engine), which the engine enforces.
  let clientAdmin: { id: string; email: string; password: string };
  // Holds a realm role named admin, which any team of a shared realm may hold; the engine ignores it.
  let realmAdmin: { id: string; email: string; password: string };
  // Has not followed Keycloak's verification link: the engine refuses every token of theirs.
  let unverified: { id: string; email: string; password: string };
  const CLIENT_ID = 'billing-web';
  // Short-lived access tokens, so the test sees one renewed and used after the first has expired.
  const TOKEN_SECONDS = 10;

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    const { port, listener } = await reservePort();
    base = `http://127.0.0.1:${port}`;
    [kc, db] = await Promise.all([startTestKeycloak(), openTestDatabase('sqlite')]);
    const realm = await kc.createRealm();
    issuer = `${kc.url}/realms/${realm.name}`;
    await kc.admin.realms.update({ realm: realm.name }, { accessTokenLifespan: TOKEN_SECONDS });
    await kc.admin.clients.create({
      realm: realm.name,
      clientId: CLIENT_ID,
      publicClient: true,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      redirectUris: [`${base}/auth/callback`],
      webOrigins: ['+'],
      attributes: {
        'pkce.code.challenge.method': 'S256',
        'post.logout.redirect.uris': `${base}/*`,
      },
    });
    const password = 'correct horse battery staple';
    const newUser = async () => {
      const { id, email } = await realm.createUser({});
      await kc.admin.users.resetPassword({
        realm: realm.name,
        id,
        credential: { type: 'password', value: password, temporary: false },
      });
      return { id, email, password };
    };
    user = await newUser();

    // The engine's client (the API's OIDC_CLIENT_ID, billing-engine by default) grants `admin` as a client
    // role; the realm has a role named `admin` too.
    const [engine] = await kc.admin.clients.find({ realm: realm.name, clientId: realm.settings.clientId });
    await kc.admin.clients.createRole({ realm: realm.name, id: engine!.id!, name: 'admin' });
    const engineAdmin = await kc.admin.clients.findRole({
      realm: realm.name,
      id: engine!.id!,
      roleName: 'admin',
    });
    await kc.admin.roles.create({ realm: realm.name, name: 'admin' });
    const realmAdminRole = await kc.admin.roles.findOneByName({ realm: realm.name, name: 'admin' });
    clientAdmin = await newUser();
    await kc.admin.users.addClientRoleMappings({
      realm: realm.name,
      id: clientAdmin.id,
      clientUniqueId: engine!.id!,
      roles: [{ id: engineAdmin!.id!, name: 'admin' }],
    });
    realmAdmin = await newUser();
    await kc.admin.users.addRealmRoleMappings({
      realm: realm.name,
      id: realmAdmin.id,
      roles: [{ id: realmAdminRole!.id!, name: 'admin' }],
    });
    unverified = await newUser();
    await kc.admin.users.update({ realm: realm.name, id: unverified.id }, { emailVerified: false });
    api = await startTestApi({
      orm: db.orm,
      listener,
      env: { OIDC_ISSUER: issuer, OIDC_WEB_CLIENT_ID: CLIENT_ID },
    });
    chromium = await launchChromium();
    page = await (await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(20_000);
  }, KEYCLOAK_START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await chromium?.close();
    await api?.stop();
    await Promise.all([kc?.stop(), db?.close()]);
  });

  async function logInAtKeycloak(who = user, on = page) {
    await on.waitForURL((u) => u.href.startsWith(issuer));
    await on.locator('#username').fill(who.email);
    await on.locator('#password').fill(who.password);
    await on.locator('#kc-login').click();
  }

  /** A browser of the person's own (no Keycloak session yet), signed in through Keycloak. */
  async function signInAs(who: { email: string; password: string }): Promise<Page> {
    const own = await (
      await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    own.setDefaultTimeout(20_000);
    await own.goto(`${base}/billing`);
    await own.getByRole('button', { name: 'Continue to sign-in' }).click();
    await logInAtKeycloak(who, own);
    return own;
  }

  it('offers no development sign-in, and signs in through Keycloak with PKCE', async () => {
    const codeRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/protocol/openid-connect/auth')) codeRequests.push(r.url());
    });
    await page.goto(`${base}/billing`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Development sign-in').count()).toBe(0);
    expect({ violations: await seriousA11yViolations(page) }).toEqual({ violations: [] });
    await page.getByRole('button', { name: 'Continue to sign-in' }).click();
    await logInAtKeycloak();

    await page.getByText('You have no plan yet.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/billing');
    await page.getByText(user.email).waitFor();
    const auth = new URL(codeRequests[0]!);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('client_id')).toBe(CLIENT_ID);
    // The tokens live in memory only.
    const stored = await page.evaluate<string>('JSON.stringify([sessionStorage, localStorage])');
    expect(stored).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 60_000);

  it('renews the access token before it expires and keeps calling the API with the new one', async () => {
    const refreshed = await page.waitForRequest(
      (r) =>
        r.url().endsWith('/protocol/openid-connect/token') && (r.postData() ?? '').includes('refresh_token'),
      { timeout: TOKEN_SECONDS * 1000 + 5_000 },
    );
    expect(refreshed.method()).toBe('POST');
    const renewed = (await (await refreshed.response())!.json()) as { access_token: string };
    // The app's calls soon carry the renewed token (once its answer is handled), and the API takes it.
    const nav = page.getByRole('navigation');
    let sent: string | undefined;
    for (let i = 0; i < 20 && sent !== `Bearer ${renewed.access_token}`; i++) {
      await nav.getByRole('link', { name: 'Billing' }).click();
      const [call] = await Promise.all([
        page.waitForRequest((r) => r.url().includes('/api/v1/billing/invoices')),
        nav.getByRole('link', { name: 'Invoices' }).click(),
      ]);
      sent = call.headers().authorization;
    }
    expect(sent).toBe(`Bearer ${renewed.access_token}`);
    await page.getByText('No invoices yet.', { exact: false }).waitFor();
  }, 30_000);

  it('resumes the session through Keycloak after a page load, without asking again', async () => {
    await page.goto(`${base}/billing`);
    await page.getByText('You have no plan yet.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/billing');
  }, 30_000);

  it("signs out of the app and of Keycloak's session", async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.href === `${base}/plans`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto(`${base}/billing`);
    await page.getByRole('button', { name: 'Continue to sign-in' }).click();
    // Keycloak asks for the password again: its session ended too.
    await page.locator('#password').waitFor();
  }, 30_000);

  it("shows the console to a holder of the engine's client role admin, who can open it", async () => {
    const own = await signInAs(clientAdmin);
    await own.getByText('You have no plan yet.').waitFor();
    await own.getByText(clientAdmin.email).waitFor();
    const nav = own.getByRole('navigation');
    await nav.getByRole('link', { name: 'Revenue' }).waitFor();
    await nav.getByRole('link', { name: 'Audit log' }).waitFor();
    await screenshot(own, 'oidc-client-admin-nav');
    await nav.getByRole('link', { name: 'Revenue' }).click();
    await own.getByRole('heading', { name: 'Revenue', exact: true }).waitFor();
    // The console's own calls succeed: the API takes this token as admin too.
    await own.getByRole('heading', { name: 'Revenue and subscribers by plan' }).waitFor();
    expect(await own.locator('.notice.error').count()).toBe(0);
    await nav.getByRole('link', { name: 'Audit log' }).click();
    await own.getByRole('heading', { name: 'Audit log', exact: true }).waitFor();
    await own.getByText('Nothing recorded yet.').or(own.getByTestId('audit-total')).waitFor();
    expect(await own.locator('.notice.error').count()).toBe(0);
    await screenshot(own, 'oidc-client-admin-console');
    await own.context().close();
  }, 60_000);

  it('a realm role named admin does not show the console', async () => {
    const own = await signInAs(realmAdmin);
    await own.getByText('You have no plan yet.').waitFor();
    await own.getByText(realmAdmin.email).waitFor();
    const nav = own.getByRole('navigation');
    await nav.getByRole('link', { name: 'Billing' }).waitFor();
    for (const name of [
      'Revenue',
      'Customers',
      'Catalog',
      'Credit packs',
      'Usage',
      'Operations',
      'Audit log',
    ])
      expect({ name, links: await nav.getByRole('link', { name, exact: true }).count() }).toEqual({
        name,
        links: 0,
      });
    await screenshot(own, 'oidc-realm-admin-nav');
    await own.context().close();
  }, 60_000);

  it('a person whose email is not verified is told so on the sign-in page, and is not signed in', async () => {
    const own = await signInAs(unverified);
    await own.getByRole('heading', { name: 'Signing in' }).waitFor();
    await own.getByText('Verify your email address').waitFor();
    await own.getByRole('link', { name: 'Sign in again' }).waitFor();
    expect(await own.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await own.getByRole('navigation').getByRole('link', { name: 'Billing' }).count()).toBe(0);
    await screenshot(own, 'oidc-unverified-email');
    await own.context().close();
  }, 60_000);
});
