import type { Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { freePort, startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { KEYCLOAK_START_TIMEOUT_MS, startTestKeycloak, type TestKeycloak } from '../helpers/keycloak';
import { launchChromium, seriousA11yViolations } from './browser';

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
  const CLIENT_ID = 'billing-web';
  // Short-lived access tokens, so the test sees one renewed and used after the first has expired.
  const TOKEN_SECONDS = 10;

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    const port = await freePort();
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
    const { id, email } = await realm.createUser({});
    user = { email, password: 'correct horse battery staple' };
    await kc.admin.users.resetPassword({
      realm: realm.name,
      id,
      credential: { type: 'password', value: user.password, temporary: false },
    });
    api = await startTestApi({
      orm: db.orm,
      port,
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

  async function logInAtKeycloak() {
    await page.waitForURL((u) => u.href.startsWith(issuer));
    await page.locator('#username').fill(user.email);
    await page.locator('#password').fill(user.password);
    await page.locator('#kc-login').click();
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
});
