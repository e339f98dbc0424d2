import { BlockList, isIPv4, isIPv6 } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether a socket's peer address is this machine: 127.0.0.0/8, ::1, or an IPv4 loopback address mapped
 * into IPv6 (a dual-stack listener reports 127.0.0.1 as ::ffff:127.0.0.1). Anything else, including
 * addresses that merely look alike (`127.0.0.1.evil.com`, `0.0.0.0`, `::`), is not.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return isIPv4(mapped) && loopback.check(mapped, 'ipv4');
  if (isIPv4(address)) return loopback.check(address, 'ipv4');
  return isIPv6(address) && loopback.check(address, 'ipv6');
}
