import type { Dialect } from '../../db/orm';
import { csvCell } from '../../services/admin-lists/export-customers';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { bookWriter, DAY } from '../helpers/book';
import { openTestDatabase } from '../helpers/db';

/** RFC 4180 rows: quoted cells may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      endCell();
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else {
      cell += ch;
    }
  }
  return rows;
}

describe('a cell of the customer export', () => {
  it.each`
    value                    | cell
    ${'plain'}               | ${'plain'}
    ${null}                  | ${''}
    ${'a,b'}                 | ${'"a,b"'}
    ${'say "hi"'}            | ${'"say ""hi"""'}
    ${'two\nlines'}          | ${'"two\nlines"'}
    ${'=HYPERLINK("x","y")'} | ${`"'=HYPERLINK(""x"",""y"")"`}
    ${'+1'}                  | ${"'+1"}
    ${'-2'}                  | ${"'-2"}
    ${'@cmd'}                | ${"'@cmd"}
  `('$value becomes $cell', ({ value, cell }) => {
    expect(csvCell(value)).toBe(cell);
  });

  // Whatever a spreadsheet skips before a formula sign, and the signs it reads as = + - @.
  const skipped = {
    space: ' ',
    spaces: '   ',
    tab: '\t',
    'carriage return': '\r',
    'line feed': '\n',
    'CR LF': '\r\n',
    'no-break space': '\u00a0',
    'en quad': '\u2000',
    'ideographic space': '\u3000',
    'line separator': '\u2028',
    'zero-width space': '\u200b',
    'byte order mark': '\ufeff',
    NUL: '\u0000',
    'space then tab': ' \t',
  };
  const signs = [
    '=',
    '+',
    '-',
    '@',
    '\uff1d',
    '\uff0b',
    '\uff0d',
    '\uff20',
    '\ufe66',
    '\ufe62',
    '\ufe63',
    '\ufe6b',
  ];
  it.each(
    signs.flatMap((sign): [string, string][] => [
      [`${JSON.stringify(sign)} first`, `${sign}HYPERLINK("https://evil.example","x")`],
      ...Object.entries(skipped).map(([name, before]): [string, string] => [
        `${name} then ${JSON.stringify(sign)}`,
        `${before}${sign}cmd|' /C calc'!A0`,
      ]),
    ]),
  )('defuses a cell that starts with %s', (_name, value) => {
    const cell = csvCell(value);
    // The spreadsheet reads the cell (unquoted by CSV) as starting with a quote mark: text.
    const text = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
    expect(text).toBe(`'${value}`);
  });

  it.each(['\tindented', '\rreturned', '\t'])(
    'defuses a cell that starts with a tab or carriage return: %j',
    (value) => {
      const cell = csvCell(value);
      const text = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
      expect(text).toBe(`'${value}`);
    },
  );

  it.each([' Ada Lovelace', 'a=b', 'ada+billing@example.com', '\u00a0Ada', 'x-1', '１２３', '＃hash'])(
    'leaves %j as it is',
    (value) => {
      expect(csvCell(value)).toBe(value);
    },
  );
});

describe.each<Dialect>(['sqlite', 'postgresql'])('the customer CSV export on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;
  let churnedSubscription: string;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-1', email: 'boss@example.com', roles: ['admin'] });
    const book = bookWriter(db.orm.em.fork());
    // More customers than one streamed batch (500), so the export walks several keyset pages.
    for (let i = 0; i < 1_203; i++) {
      book.customer({
        email: `bulk-${String(i).padStart(4, '0')}@example.com`,
        createdAt: new Date(Date.now() - i * DAY),
      });
    }
    const hostile = book.customer({
      email: 'hostile@example.com',
      name: '=HYPERLINK("http://evil","x"), "quoted"\nline',
    });
    book.subscription(hostile, {
      tier: 'professional',
      amountCents: 4900,
      status: 'active',
      createdAt: new Date(),
    });
    // The filter book: each customer's live subscription is its newest that has not ended.
    const at = (days: number) => new Date(Date.now() - days * DAY);
    const upgraded = book.customer({ email: 'upgraded@filters.example' });
    book.subscription(upgraded, { tier: 'starter', amountCents: 1900, status: 'active', createdAt: at(40) });
    book.subscription(upgraded, {
      tier: 'professional',
      amountCents: 4900,
      status: 'past_due',
      createdAt: at(2),
    });
    const starter = book.customer({ email: 'starter@filters.example' });
    starter.name = 'Starter';
    starter.stripeCustomerId = 'cus_FilterStarter';
    book.subscription(starter, { tier: 'starter', amountCents: 1900, status: 'active', createdAt: at(10) });
    const trial = book.customer({ email: 'trial@filters.example' });
    book.subscription(trial, {
      tier: 'professional',
      amountCents: 4900,
      status: 'trialing',
      createdAt: at(3),
    });
    const churned = book.customer({ email: 'churned@filters.example' });
    book.subscription(churned, { tier: 'starter', amountCents: 1900, status: 'expired', createdAt: at(90) });
    const ended = book.subscription(churned, {
      tier: 'professional',
      amountCents: 4900,
      status: 'canceled',
      createdAt: at(30),
    });
    churnedSubscription = ended.stripeSubscriptionId!;
    book.customer({ email: 'never@filters.example' });
    await book.flush();
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const download = (query: string, token = admin) =>
    fetch(`${api.url}/api/v1/admin/billing/customers/export${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it('streams every customer the list pages through, in its order, as a CSV download', async () => {
    const res = await download('?sort=email&email=example.com');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="customers.csv"');
    const [header, ...rows] = parseCsv(await res.text());
    expect(header).toEqual([
      'customer_id',
      'email',
      'name',
      'stripe_customer_id',
      'user_id',
      'tier',
      'status',
      'created',
    ]);
    expect(rows).toHaveLength(1_204);
    const emails = rows.map((r) => r[1]);
    expect(emails).toEqual([...emails].sort());
    expect(new Set(emails).size).toBe(1_204);
    // The list's first page holds the same customers in the same order.
    const list = await api.request(
      'GET',
      '/api/v1/admin/billing/customers?sort=email&email=example.com&limit=100',
      {
        token: admin,
      },
    );
    expect(emails.slice(0, 100)).toEqual(list.body.customers.map((c: { email: string }) => c.email));
  });

  it("keeps a hostile name in its cell, defused for spreadsheets, and applies the list's email filter", async () => {
    const rows = parseCsv(await (await download('?email=hostile')).text()).slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      1: 'hostile@example.com',
      2: `'=HYPERLINK("http://evil","x"), "quoted"\nline`,
      5: 'professional',
      6: 'active',
    });
  });

  it('is for admins only, and refuses what the list refuses', async () => {
    const viewer = await idp.token({ email: 'v@example.com', roles: ['viewer'] });
    expect((await download('', viewer)).status).toBe(403);
    const bad = await download('?sort=nope');
    expect(bad.status).toBe(400);
    expect((await download('?limit=5')).status).toBe(400);
  });

  const list = async (query: string) => {
    const res = await api.request('GET', `/api/v1/admin/billing/customers?sort=email&${query}`, {
      token: admin,
    });
    expect(res.status).toBe(200);
    return res.body as {
      total: number;
      next_cursor: string | null;
      customers: { email: string; metadata: { tier: string | null }; subscription_status: string | null }[];
    };
  };
  const emails = (body: { customers: { email: string }[] }) => body.customers.map((c) => c.email);

  it.each`
    query                                  | expected
    ${'tier=professional'}                 | ${['trial', 'upgraded']}
    ${'tier=starter'}                      | ${['starter']}
    ${'status=active'}                     | ${['starter']}
    ${'status=past_due'}                   | ${['upgraded']}
    ${'status=trialing&tier=professional'} | ${['trial']}
    ${'status=trialing&tier=starter'}      | ${[]}
    ${'status=none'}                       | ${['churned', 'never']}
    ${'status=none&tier=starter'}          | ${[]}
    ${'status=canceled'}                   | ${['churned']}
    ${'status=expired'}                    | ${[]}
    ${'status=canceled&tier=starter'}      | ${[]}
  `('filters the list by the live subscription: $query', async ({ query, expected }) => {
    const want = (expected as string[]).map((e) => `${e}@filters.example`);
    const body = await list(`email=filters.example&${query as string}`);
    expect(emails(body)).toEqual(want);
    expect(body.total).toBe(want.length);
  });

  it('shows the tier and status the filter matched on', async () => {
    const body = await list('email=filters.example&status=past_due');
    expect(body.customers[0]).toMatchObject({
      metadata: { tier: 'professional' },
      subscription_status: 'past_due',
    });
  });

  it('keeps keyset paging and the total under a filter', async () => {
    const first = await list('status=none&limit=1');
    // The 1,203 bulk customers and the two of the filter book have no live subscription.
    expect(first.total).toBe(1_205);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await list(`status=none&limit=1&cursor=${first.next_cursor}`);
    expect(second.total).toBe(1_205);
    expect(emails(second)).not.toEqual(emails(first));
    expect(emails(second)[0]! > emails(first)[0]!).toBe(true);
  });

  it('finds a customer by its Stripe customer id or any of its Stripe subscription ids, or by email with q', async () => {
    expect(emails(await list('q=cus_FilterStarter'))).toEqual(['starter@filters.example']);
    expect(emails(await list(`q=${churnedSubscription}`))).toEqual(['churned@filters.example']);
    expect(emails(await list('q=TRIAL@filters'))).toEqual(['trial@filters.example']);
    // An id matches whole, not as a fragment.
    expect(emails(await list('q=cus_FilterStart'))).toEqual([]);
    expect(emails(await list('q=cus_FilterStarter&status=none'))).toEqual([]);
  });

  it('exports the same filtered customers', async () => {
    const rows = parseCsv(
      await (await download('?sort=email&email=filters.example&tier=professional')).text(),
    ).slice(1);
    expect(rows.map((r) => r[1])).toEqual(['trial@filters.example', 'upgraded@filters.example']);
    expect(rows.map((r) => r[6])).toEqual(['trialing', 'past_due']);
    const none = parseCsv(await (await download('?status=none&email=filters')).text()).slice(1);
    expect(none.map((r) => r[1]).sort()).toEqual(['churned@filters.example', 'never@filters.example']);
    const byId = parseCsv(await (await download(`?q=${churnedSubscription}`)).text()).slice(1);
    expect(byId.map((r) => r[1])).toEqual(['churned@filters.example']);
  });

  it('refuses an unknown status, naming the field', async () => {
    const res = await api.request('GET', '/api/v1/admin/billing/customers?status=happy', { token: admin });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('status');
    expect((await download('?status=happy')).status).toBe(400);
  });
});
