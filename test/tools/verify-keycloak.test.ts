import type { MikroORM } from '@mikro-orm/core';
import { verifyIntegration, type VerifyInput } from '../../services/setup/verify-integration';
import { grantUserSync } from '../../tools/cluster/keycloak-realm';
import { KEYCLOAK_START_TIMEOUT_MS, startTestKeycloak, type TestKeycloak } from '../helpers/keycloak';

/** Only the Keycloak items: no Stripe, no Lago, and no database read on this path. */
const keycloakOnly = (keycloak: VerifyInput['keycloak']): VerifyInput => ({
  orm: null as unknown as MikroORM,
  stripe: null,
  keycloak,
  lago: null,
});

describe("npm run verify's Keycloak items against a real Keycloak", () => {
  let keycloak: TestKeycloak;
  beforeAll(async () => {
    keycloak = await startTestKeycloak();
  }, KEYCLOAK_START_TIMEOUT_MS);
  afterAll(async () => {
    await keycloak?.stop();
  });

  const keycloakItems = async (input: VerifyInput) =>
    (await verifyIntegration(input)).checks
      .filter((c) => c.system === 'Keycloak')
      .map((c) => ({ name: c.name, status: c.status }));

  it('passes a client whose service account may manage users, in a realm that declares the attributes', async () => {
    const realm = await keycloak.createRealm();
    expect(await keycloakItems(keycloakOnly(realm.settings))).toEqual([
      { name: 'client credentials', status: 'pass' },
      { name: 'client permissions', status: 'pass' },
      { name: 'user profile', status: 'pass' },
    ]);
  });

  it('fails the permissions of a service account without manage-users, and an undeclared profile', async () => {
    const realm = await keycloak.createRealm({
      serviceAccountRoles: ['view-users'],
      declareBillingAttributes: false,
    });
    const report = await verifyIntegration(keycloakOnly(realm.settings));
    const permissions = report.checks.find((c) => c.name === 'client permissions');
    expect(permissions).toMatchObject({ status: 'fail', detail: expect.stringContaining('manage-users') });
    expect(report.checks.find((c) => c.name === 'user profile')?.status).toMatch(/fail|warn/);
    expect(report.ok).toBe(false);
  });

  it("passes a service account without realm-management roles that the realm's admin permissions let view users", async () => {
    const realm = await keycloak.createRealm({ serviceAccountRoles: [] });
    const [engine] = await keycloak.admin.clients.find({
      realm: realm.name,
      clientId: realm.settings.clientId,
    });
    // As the cluster's realm does (docs/operations.md): view and manage of users, operators excepted.
    await grantUserSync(keycloak.admin, realm.name, engine!.id!);
    const report = await verifyIntegration(keycloakOnly(realm.settings));
    expect(report.checks.find((c) => c.name === 'client permissions')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('admin permissions'),
    });
  });

  it('fails a service account with neither the roles nor the admin permissions', async () => {
    const realm = await keycloak.createRealm({ serviceAccountRoles: [] });
    const report = await verifyIntegration(keycloakOnly(realm.settings));
    expect(report.checks.find((c) => c.name === 'client permissions')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('manage-users'),
    });
  });

  it('fails the client credentials when the secret is wrong', async () => {
    const realm = await keycloak.createRealm();
    const report = await verifyIntegration(keycloakOnly({ ...realm.settings, clientSecret: 'wrong' }));
    expect(report.checks.find((c) => c.system === 'Keycloak')).toMatchObject({
      name: 'client credentials',
      status: 'fail',
      detail: expect.stringContaining('refused the client'),
    });
  });
});
