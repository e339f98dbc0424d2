import fc from 'fast-check';
import { Charge, CreditNote, Invoice, type Customer } from '../../db/entities';
import { sqlFor } from '../../db/raw-sql';
import { invoiceListVersion, rememberedInvoicePage } from '../../services/invoices/invoice-page-memo';
import { openTestDatabase } from '../helpers/db';
import { billingApiOn, bookWriter, DAY } from '../helpers/book';

/**
 * The first page of a customer's invoices is remembered until their invoice list version moves, and the
 * database's triggers move it in the transaction of every write the page shows. Whatever is written, by
 * the ORM or by plain SQL, the page read must be what the database holds.
 */
describe.each(['sqlite', 'postgresql'] as const)('the remembered invoice page on %s', (dialect) => {
  const setup = billingApiOn(dialect);

  const em = () => setup.db.orm.em.fork();
  const versionsOf = async (...customers: Customer[]) =>
    Promise.all(customers.map((c) => invoiceListVersion(em(), c.id)));

  it('moves the version of exactly the customers whose invoice list a write changes', async () => {
    const book = bookWriter(em());
    const me = book.customer();
    const other = book.customer();
    const bystander = book.customer();
    const mine = book.invoice(me, { amountCents: 1000, createdAt: new Date(Date.now() - 3 * DAY) });
    const theirs = book.invoice(other, { amountCents: 2000, createdAt: new Date(Date.now() - 2 * DAY) });
    const charge = book.charge(me, { amountCents: 1000, createdAt: new Date(), invoice: mine });
    const note = book.creditNote(mine, { amountCents: 300, createdAt: new Date() });
    await book.flush();
    const sql = sqlFor(em());

    const writes: [string, () => Promise<unknown>, Customer[]][] = [
      [
        'its rows written again as they are, as a backfill’s upsert does',
        () =>
          Promise.all([
            sql.run('update invoices set status = status where id = ?', [mine.id]),
            sql.run('update charges set amount_refunded_cents = amount_refunded_cents where id = ?', [
              charge.id,
            ]),
            sql.run('update credit_notes set status = status where id = ?', [note.id]),
          ]),
        [],
      ],
      ['an invoice voided', () => em().nativeUpdate(Invoice, { id: mine.id }, { status: 'void' }), [me]],
      [
        'a refund on its charge',
        () => em().nativeUpdate(Charge, { id: charge.id }, { amountRefundedCents: 400 }),
        [me],
      ],
      [
        'its credit note voided',
        () => em().nativeUpdate(CreditNote, { id: note.id }, { status: 'void' }),
        [me],
      ],
      [
        'its charge moved to another customer’s invoice',
        () =>
          sql.run('update charges set stripe_invoice_id = ? where id = ?', [
            theirs.stripeInvoiceId,
            charge.id,
          ]),
        [me, other],
      ],
      ['that charge deleted', () => sql.run('delete from charges where id = ?', [charge.id]), [other]],
      [
        'a credit note moved to an invoice not mirrored yet',
        () => sql.run("update credit_notes set stripe_invoice_id = 'in_not_yet' where id = ?", [note.id]),
        [me],
      ],
      ['a credit note deleted', () => sql.run('delete from credit_notes where id = ?', [note.id]), []],
      ['an invoice deleted', () => sql.run('delete from invoices where id = ?', [theirs.id]), [other]],
      ['a customer’s name', () => sql.run("update customers set name = 'renamed' where id = ?", [me.id]), []],
    ];
    for (const [what, write, moved] of writes) {
      const before = await versionsOf(me, other, bystander);
      await write();
      const after = await versionsOf(me, other, bystander);
      const changed = [me, other, bystander].filter((_, i) => after[i] !== before[i]);
      expect({ what, changed: changed.map((c) => c.id) }).toEqual({ what, changed: moved.map((c) => c.id) });
      for (const [i, v] of after.entries()) expect(v).toBeGreaterThanOrEqual(before[i] as number);
    }

    const late = book.invoice(me, { amountCents: 500, createdAt: new Date() });
    const [beforeInsert] = await versionsOf(me);
    await book.flush();
    expect((await versionsOf(me))[0]).toBeGreaterThan(beforeInsert as number);
    expect(late.stripeInvoiceId).toBeTruthy();
  });

  it('builds the page again when a write lands between reading the version and reading the page', async () => {
    const book = bookWriter(em());
    const me = book.customer();
    const invoice = book.invoice(me, { amountCents: 1000, createdAt: new Date(), status: 'open' });
    await book.flush();
    const page = (label: string, write?: () => Promise<unknown>) =>
      rememberedInvoicePage(setup.db.orm.em, me.id, 'race', async () => {
        await write?.();
        return label;
      });
    const pay = () => sqlFor(em()).run("update invoices set status = 'paid' where id = ?", [invoice.id]);
    expect(await page('read while the payment committed', pay)).toBe('read while the payment committed');
    expect(await page('read after the payment')).toBe('read after the payment');
    expect(await page('not read: nothing changed')).toBe('read after the payment');
  });

  type Op =
    | { kind: 'invoice'; who: 0 | 1; cents: number; open: boolean }
    | { kind: 'pay'; invoice: number }
    | { kind: 'charge'; invoice: number; cents: number }
    | { kind: 'refund'; charge: number; cents: number }
    | { kind: 'move'; charge: number; invoice: number }
    | { kind: 'credit'; invoice: number; cents: number }
    | { kind: 'void'; note: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('invoice' as const),
      who: fc.constantFrom(0 as const, 1 as const),
      cents: fc.integer({ min: 1, max: 99_999 }),
      open: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('pay' as const), invoice: fc.nat() }),
    fc.record({
      kind: fc.constant('charge' as const),
      invoice: fc.nat(),
      cents: fc.integer({ min: 1, max: 9_999 }),
    }),
    fc.record({
      kind: fc.constant('refund' as const),
      charge: fc.nat(),
      cents: fc.integer({ min: 1, max: 999 }),
    }),
    fc.record({ kind: fc.constant('move' as const), charge: fc.nat(), invoice: fc.nat() }),
    fc.record({
      kind: fc.constant('credit' as const),
      invoice: fc.nat(),
      cents: fc.integer({ min: 1, max: 999 }),
    }),
    fc.record({ kind: fc.constant('void' as const), note: fc.nat() }),
  );

  let run = 0;
  it('answers what the database holds after each of any writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25, size: 'medium' }),
        fc.integer({ min: 1, max: 4 }),
        async (ops, limit) => {
          run++;
          // One writer for the run: the rows it creates stay its own, so later ones can refer to them.
          const book = bookWriter(em());
          const people = [
            book.customer({ userId: `memo-${dialect}-${run}-me` }),
            book.customer({ userId: `memo-${dialect}-${run}-other` }),
          ] as const;
          await book.flush();
          const token = await setup.idp.token({ sub: people[0].userId, email: people[0].email });
          // The model: every invoice with its owner, status and what went back on it.
          const invoices: { row: Invoice; who: 0 | 1; paid: boolean; cents: number }[] = [];
          const charges: { row: Charge; invoice: number; refunded: number }[] = [];
          const notes: { row: CreditNote; invoice: number; cents: number; void: boolean }[] = [];
          const pick = <T>(list: T[], n: number) => (list.length ? (list[n % list.length] as T) : null);
          const base = Date.now() - 100 * DAY;
          const sql = sqlFor(em());

          const readAndCompare = async () => {
            const res = await setup.api.raw(`/api/v1/billing/invoices?limit=${limit}`, token);
            expect(res.status).toBe(200);
            const body = (await res.json()) as Record<string, unknown>[];
            const mine = invoices
              .map((inv, i) => ({ ...inv, i }))
              .filter((inv) => inv.who === 0)
              .reverse();
            const expected = mine.slice(0, limit).map((inv) => ({
              id: inv.row.stripeInvoiceId,
              status: inv.paid ? 'paid' : 'open',
              amount_paid_cents: inv.paid ? inv.cents : 0,
              amount_refunded_cents: charges
                .filter((c) => c.invoice === inv.i)
                .reduce((a, c) => a + c.refunded, 0),
              amount_credited_cents: notes
                .filter((n) => n.invoice === inv.i && !n.void)
                .reduce((a, n) => a + n.cents, 0),
            }));
            expect(
              body.map((b) => ({
                id: b.id,
                status: b.status,
                amount_paid_cents: b.amount_paid_cents,
                amount_refunded_cents: b.amount_refunded_cents,
                amount_credited_cents: b.amount_credited_cents,
              })),
            ).toEqual(expected);
            expect(res.headers.get('x-next-cursor') !== null).toBe(mine.length > limit);
          };

          const first: Op = { kind: 'invoice', who: 0, cents: 4900, open: true };
          for (const o of [first, ...ops]) {
            if (o.kind === 'invoice') {
              const row = book.invoice(people[o.who], {
                amountCents: o.cents,
                createdAt: new Date(base + invoices.length * DAY),
                status: o.open ? 'open' : 'paid',
              });
              await book.flush();
              invoices.push({ row, who: o.who, paid: !o.open, cents: o.cents });
            } else if (o.kind === 'pay') {
              const inv = pick(invoices, o.invoice);
              if (!inv || inv.paid) continue;
              await em().nativeUpdate(
                Invoice,
                { id: inv.row.id },
                { status: 'paid', amountPaidCents: inv.cents },
              );
              inv.paid = true;
            } else if (o.kind === 'charge') {
              const at = invoices.length ? o.invoice % invoices.length : -1;
              const inv = invoices[at];
              if (!inv) continue;
              const row = book.charge(people[inv.who], {
                amountCents: o.cents,
                createdAt: new Date(),
                invoice: inv.row,
              });
              await book.flush();
              charges.push({ row, invoice: at, refunded: 0 });
            } else if (o.kind === 'refund') {
              const c = pick(charges, o.charge);
              if (!c) continue;
              await sql.run(
                'update charges set amount_refunded_cents = amount_refunded_cents + ? where id = ?',
                [o.cents, c.row.id],
              );
              c.refunded += o.cents;
            } else if (o.kind === 'move') {
              const c = pick(charges, o.charge);
              const to = invoices.length ? o.invoice % invoices.length : -1;
              const inv = invoices[to];
              if (!c || !inv) continue;
              await em().nativeUpdate(Charge, { id: c.row.id }, { stripeInvoiceId: inv.row.stripeInvoiceId });
              c.invoice = to;
            } else if (o.kind === 'credit') {
              const at = invoices.length ? o.invoice % invoices.length : -1;
              const inv = invoices[at];
              if (!inv) continue;
              const row = book.creditNote(inv.row, { amountCents: o.cents, createdAt: new Date() });
              await book.flush();
              notes.push({ row, invoice: at, cents: o.cents, void: false });
            } else {
              const n = pick(notes, o.note);
              if (!n) continue;
              await sql.run("update credit_notes set status = 'void' where id = ?", [n.row.id]);
              n.void = true;
            }
            // After every write: one the page shows that did not move the version is seen at once.
            await readAndCompare();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

/**
 * SQLite has no comparison of whole rows, so each table's update trigger names its columns: one added
 * later and left out would change without moving the version.
 */
describe('the invoice list update triggers on SQLite', () => {
  it('compare every column their table has', async () => {
    const db = await openTestDatabase('sqlite');
    try {
      const sql = sqlFor(db.orm.em.fork());
      for (const table of ['invoices', 'charges', 'credit_notes']) {
        const columns = (await sql.run<{ name: string }>(`pragma table_info(${table})`)).map((c) => c.name);
        const [trigger] = await sql.run<{ sql: string }>(
          "select sql from sqlite_master where type = 'trigger' and name = ?",
          [`${table}_invoice_list_update`],
        );
        const condition = /\bwhen\b([\s\S]*)\bbegin\b/i.exec(trigger?.sql ?? '')?.[1] ?? '';
        const compared = (side: 'old' | 'new') =>
          [...condition.matchAll(new RegExp(`\\b${side}\\.(\\w+)`, 'g'))].map((m) => m[1]).sort();
        expect({ table, old: compared('old'), new: compared('new') }).toEqual({
          table,
          old: [...columns].sort(),
          new: [...columns].sort(),
        });
      }
    } finally {
      await db.close();
    }
  });
});
