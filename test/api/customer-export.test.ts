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
});

describe.each<Dialect>(['sqlite', 'postgresql'])('the customer CSV export on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;

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
    const res = await download('?sort=email');
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
    const list = await api.request('GET', '/api/v1/admin/billing/customers?sort=email&limit=100', {
      token: admin,
    });
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
});
