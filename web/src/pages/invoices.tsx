import { Fragment, useState } from 'react';
import { api, call, type Invoice } from '../api/client';
import { Empty, Loaded, Page, Table } from '../components';
import { RowAction } from '../form-kit';
import { ExplainedInvoice } from '../invoice-explanation';
import { UpcomingInvoice } from '../upcoming-invoice';
import { OwnCommitment } from '../own-commitment';
import { OwnPrepaidCommits } from '../own-prepaid-commits';
import { useLoad } from '../data';
import { date, money } from '../format';
import { DownloadButton } from '../download-button';

const LABEL: Record<string, string> = {
  paid: 'Paid',
  open: 'Unpaid',
  void: 'Void',
  uncollectible: 'Uncollectible',
  draft: 'Draft',
};

function PdfButton({ invoice }: { invoice: Invoice }) {
  const label = invoice.number ?? invoice.id;
  return (
    <DownloadButton
      path={`/api/v1/billing/invoice/${encodeURIComponent(invoice.id)}/pdf`}
      name={`invoice-${label}.pdf`}
      text="PDF"
      label={`Download PDF of invoice ${label}`}
    />
  );
}

/** The invoices, newest first, a page at a time (the API's cursor). */
export function Invoices() {
  const [explaining, setExplaining] = useState<string | null>(null);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(async () => {
    const { data, error, response } = await api.GET('/api/v1/billing/invoices', {
      params: { query: { limit: 20, cursor } },
    });
    const list = await call(Promise.resolve({ data, error, response }));
    return { list, next: response.headers.get('X-Next-Cursor') };
  }, cursor ?? '');
  return (
    <Page title="Invoices">
      <UpcomingInvoice
        loadKey="upcoming"
        load={async () => {
          const { data, response } = await api.GET('/api/v1/billing/invoices/upcoming');
          return response.status === 404 ? null : (data ?? null);
        }}
      />
      <OwnCommitment />
      <OwnPrepaidCommits />
      <Loaded state={page} what="invoices">
        {(data) =>
          data.list.length === 0 ? (
            <Empty>No invoices yet. They appear here after your first payment.</Empty>
          ) : (
            <>
              <Table
                label="Invoices"
                columns={[
                  'Invoice',
                  'Date',
                  'Period',
                  'Status',
                  { label: 'Amount', num: true },
                  { label: 'Actions', hidden: true },
                ]}
              >
                {data.list.map((i) => (
                  <Fragment key={i.id}>
                    <tr>
                      <th scope="row">{i.number ?? i.id}</th>
                      <td>{date(i.created)}</td>
                      <td>{i.period_start ? `${date(i.period_start)} – ${date(i.period_end)}` : '—'}</td>
                      <td>
                        <span
                          className={`badge ${i.status === 'paid' ? 'good' : i.status === 'open' ? 'bad' : ''}`}
                        >
                          {LABEL[i.status] ?? i.status}
                        </span>
                        {i.amount_refunded_cents > 0 && (
                          <span className="small">
                            {' '}
                            {money(i.amount_refunded_cents, i.currency)} refunded
                          </span>
                        )}
                        {i.amount_credited_cents > 0 && (
                          <span className="small">
                            {' '}
                            {money(i.amount_credited_cents, i.currency)} credited
                          </span>
                        )}
                      </td>
                      <td className="num">
                        {money(i.total_cents, i.currency)}
                        {i.discount_cents > 0 && (
                          <span className="small block">{money(i.discount_cents, i.currency)} off</span>
                        )}
                        {i.tax_cents > 0 && (
                          <span className="small block">incl. {money(i.tax_cents, i.currency)} tax</span>
                        )}
                        {i.reverse_charge && <span className="small block">VAT reverse charged</span>}
                      </td>
                      <td>
                        <div className="row-actions">
                          <PdfButton invoice={i} />
                          <RowAction
                            className="secondary small"
                            expanded={explaining === i.id}
                            label={`Explain invoice ${i.number ?? i.id}`}
                            onClick={() => setExplaining((open) => (open === i.id ? null : i.id))}
                          >
                            Explain
                          </RowAction>
                          {i.hosted_invoice_url && (
                            <a href={i.hosted_invoice_url} className="small">
                              {i.status === 'open' ? 'Pay' : 'View'}
                              <span className="visually-hidden"> invoice {i.number ?? i.id}</span>
                            </a>
                          )}
                        </div>
                      </td>
                    </tr>
                    {explaining === i.id && (
                      <tr>
                        <td colSpan={6}>
                          <ExplainedInvoice
                            loadKey={`explain-${i.id}`}
                            load={() =>
                              call(
                                api.GET('/api/v1/billing/invoices/{id}/explain', {
                                  params: { path: { id: i.id } },
                                }),
                              )
                            }
                            csvPath={`/api/v1/billing/invoices/${encodeURIComponent(i.id)}/explain?format=csv`}
                            level={2}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </Table>
              <p className="pager">
                {cursors.length > 1 && (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => setCursors((c) => c.slice(0, -1))}
                  >
                    Newer
                  </button>
                )}
                {data.next && (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => setCursors((c) => [...c, data.next ?? undefined])}
                  >
                    Older
                  </button>
                )}
              </p>
            </>
          )
        }
      </Loaded>
    </Page>
  );
}
