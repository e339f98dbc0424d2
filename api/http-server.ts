import { createServer, type RequestListener, type Server } from 'node:http';

export interface ServerTimeouts {
  /** The whole request, headers and body, must arrive within this. */
  requestTimeout: number;
  /** The headers must arrive within this (a slowloris holds a socket by trickling them). */
  headersTimeout: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeout: number;
  /** How often Node looks for requests past their timeouts. */
  checkEvery: number;
}

/**
 * Idle keep-alive connections outlive a load balancer's (60 s is common), so the balancer never sends a
 * request down a socket we are closing at that moment (Node's 5 s default races it). A request itself gets
 * 30 s, its headers 20 s: Node's default lets one take five minutes, so a few hundred slow callers would
 * hold every socket. (Since Node 18 neither timeout counts a connection's idle time between requests.)
 */
export const API_SERVER_TIMEOUTS: ServerTimeouts = {
  requestTimeout: 30_000,
  headersTimeout: 20_000,
  keepAliveTimeout: 65_000,
  checkEvery: 5_000,
};

/** The API's HTTP server: the app's handler with explicit timeouts, answered 408 when a request is too slow. */
export function createApiServer(
  handler: RequestListener,
  timeouts: ServerTimeouts = API_SERVER_TIMEOUTS,
): Server {
  const server = createServer(
    {
      requestTimeout: timeouts.requestTimeout,
      headersTimeout: timeouts.headersTimeout,
      connectionsCheckingInterval: timeouts.checkEvery,
    },
    handler,
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
  return server;
}
