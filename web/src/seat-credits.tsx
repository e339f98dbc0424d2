import { Empty, Table } from './components';
import { count } from './format';

/** A period's seat credits as GET /billing/credits (and the admin's ledger) answer them. */
export interface SeatCredits {
  credits_per_seat: number;
  seats: number;
  holders: { subject: string; used: number; remaining: number }[];
}

/** Each seat holder with what it used and has left of its seat's credits this period. */
export function SeatCreditsTable({ seats }: { seats: SeatCredits }) {
  return (
    <>
      <p className="muted">
        Each of {count(seats.seats)} seats carries {count(seats.credits_per_seat)} credits, used before the
        included ones. A seat goes to the first user (subject) the usage names.
      </p>
      {seats.holders.length === 0 ? (
        <Empty>No seat has been used this period.</Empty>
      ) : (
        <Table
          label="Seat credits"
          columns={['Seat holder', { label: 'Used', num: true }, { label: 'Left', num: true }]}
        >
          {seats.holders.map((h) => (
            <tr key={h.subject}>
              <td>{h.subject}</td>
              <td className="num">{count(h.used)}</td>
              <td className="num">{count(h.remaining)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
