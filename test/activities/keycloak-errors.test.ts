import { ApplicationFailure } from '@temporalio/activity';
import { KeycloakTokenError, classifyKeycloakError } from '../../integrations/keycloak/errors';
import { ClientCredentialsToken } from '../../integrations/keycloak/session';

/** Shaped like the admin client's NetworkError: the failed response rides along. */
function adminApiError(status: number): Error {
  return Object.assign(new Error(`HTTP ${status}`), { response: { status } });
}

function classified(err: unknown): unknown {
  try {
    classifyKeycloakError(err);
  } catch (thrown) {
    return thrown;
  }
  throw new Error('classifyKeycloakError returned');
}

describe('how Keycloak failures reach the workflow', () => {
  it.each([500, 502, 503, 429, 408])('rethrows a %i as it is, so Temporal retries', (status) => {
    const err = adminApiError(status);
    expect(classified(err)).toBe(err);
  });

  it('rethrows a refused connection as it is', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    expect(classified(err)).toBe(err);
  });

  it.each([401, 403])(
    'turns a %i from the admin API into a non-retryable KeycloakMisconfigured',
    (status) => {
      expect(classified(adminApiError(status))).toMatchObject({
        type: 'KeycloakMisconfigured',
        nonRetryable: true,
      });
    },
  );

  it.each([400, 401, 404])('turns a %i from the token endpoint into KeycloakMisconfigured', (status) => {
    const err = classified(new KeycloakTokenError(status, 'invalid_client'));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'KeycloakMisconfigured', nonRetryable: true });
  });

  it('retries a token endpoint that answers 503', () => {
    const err = new KeycloakTokenError(503, 'unavailable');
    expect(classified(err)).toBe(err);
  });

  it('turns a 400 from the admin API into a non-retryable InvalidRequest', () => {
    expect(classified(adminApiError(400))).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
  });
});

describe('the client-credentials token', () => {
  const settings = { url: 'http://keycloak.test', realm: 'billing', clientId: 'engine', clientSecret: 's' };

  function tokenServer(expiresIn: number) {
    let issued = 0;
    const fetchMock = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      issued += 1;
      return new Response(JSON.stringify({ access_token: `token-${issued}`, expires_in: expiresIn }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    });
    return { fetchMock, issued: () => issued };
  }

  afterEach(() => jest.restoreAllMocks());

  it('is reused until shortly before it expires, then renewed', async () => {
    let now = 0;
    const server = tokenServer(300);
    const token = new ClientCredentialsToken(settings, () => now);

    expect(await token.get()).toBe('token-1');
    now = 200_000;
    expect(await token.get()).toBe('token-1');
    now = 271_000; // within 30 s of the 300 s lifetime
    expect(await token.get()).toBe('token-2');
    expect(server.issued()).toBe(2);
  });

  it('is requested once for concurrent callers', async () => {
    const server = tokenServer(300);
    const token = new ClientCredentialsToken(settings);

    const tokens = await Promise.all([token.get(), token.get(), token.get()]);

    expect(tokens).toEqual(['token-1', 'token-1', 'token-1']);
    expect(server.issued()).toBe(1);
  });
});
