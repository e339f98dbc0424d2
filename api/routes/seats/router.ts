import { defineRoute } from '../../routing/define-route';
import { changeCustomerSeats, changeSeats } from './handlers';
import { customerSeatsParams, seatsBody, seatsResponse } from './schemas';

const errors = {
  400:
    "Seats outside the plan's range (seats_out_of_range), or a plan not priced per seat (seats_not_offered); details.field body.seats; " +
    'an Idempotency-Key header that is not 1-200 printable ASCII characters',
  409: 'The subscription is not live (incomplete, or ended)',
};

/** Seats on a plan priced per seat: the customer's own, and an admin's for a customer. */
export const seatRoutes = [
  defineRoute({
    method: 'post',
    path: '/billing/subscription/seats',
    rateLimit: 'stripe',
    summary:
      "Change the seats of the caller's plan (priced per seat), prorated as Stripe does: more are invoiced now, fewer credited on the next invoice; preview: true only answers the cost. A retry with the same " +
      'Idempotency-Key header (optional) is answered as the first was; asking for the seats already held changes nothing',
    tags: ['billing'],
    access: 'viewer',
    body: seatsBody,
    fields: { seats: 'body.seats' },
    errors: { ...errors, 404: 'No subscription' },
    response: seatsResponse,
    handler: changeSeats,
  }),
  defineRoute({
    method: 'put',
    path: '/admin/billing/customers/:email/seats',
    rateLimit: 'stripe',
    summary:
      "Change a customer's seats (or preview the change), as the customer would, with the same optional " +
      'Idempotency-Key header; audited',
    tags: ['admin'],
    access: 'admin',
    params: customerSeatsParams,
    body: seatsBody,
    fields: { seats: 'body.seats' },
    errors: { ...errors, 404: 'No customer with that email, or no subscription' },
    response: seatsResponse,
    handler: changeCustomerSeats,
  }),
];
