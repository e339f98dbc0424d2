import { listeningAddresses as observed } from '../../services/setup/listening-sockets';

/**
 * The local addresses a TCP port is listening on, in any process of this machine (Linux's /proc/net/tcp
 * and tcp6): how a test tells a loopback listener from one on every interface (`0.0.0.0`, `::`). The
 * reader is `npm run verify`'s (services/setup/listening-sockets.ts); none where /proc cannot be read.
 */
export function listeningAddresses(port: number): string[] {
  return observed(port) ?? [];
}
