import { hostname, networkInterfaces } from 'node:os';
import type { Context } from 'koa';

/** The names this machine answers to: localhost, its host name and every address of its interfaces. */
export function ownHostNames(): Set<string> {
  const names = new Set(['localhost', hostname()]);
  for (const addresses of Object.values(networkInterfaces())) {
    for (const { address, family } of addresses ?? []) names.add(family === 'IPv6' ? `[${address}]` : address);
  }
  return names;
}

/**
 * The scheme and host of the request, for the URLs built from it, when its host is one of
 * `allowed`; otherwise this server's own address. A request's `Host` is the client's to write: it
 * must not end up in what other users receive (avatars pushed to their sockets, say).
 */
export function requestBase(ctx: Context, allowed: ReadonlySet<string>): string {
  const host = allowed.has(ctx.hostname) ? ctx.host : `localhost:${ctx.req.socket.localPort}`;
  return `${ctx.protocol}://${host}`;
}

/** The host name of the request when allowed, else localhost. */
export function requestHostName(ctx: Context, allowed: ReadonlySet<string>): string {
  return allowed.has(ctx.hostname) ? ctx.hostname : 'localhost';
}
