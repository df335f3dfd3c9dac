import type { IncomingMessage } from 'node:http';
import type { GatewayServer } from './types.js';

export interface AdmissionOptions {
  /** Connections this process holds at most, authenticated or not; beyond, new ones are refused. */
  maxConnections: number;
  /** Connections from one client address that have not authenticated yet, at most. */
  maxUnauthenticatedPerAddress: number;
  /** Reverse proxies in front (TRUST_PROXY): the address is the X-Forwarded-For hop the outermost added, as REST takes it. */
  trustProxy: number;
  onRefused?: (reason: string) => void;
}

type AllowRequest = (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) => void;

/**
 * Who may open a connection: a handshake is refused (HTTP 403, the client's connect_error) when the
 * process holds its ceiling of connections, or when the client's address has its cap of connections
 * that have not authenticated. The checks run again once a connection is made (handshakes admitted in
 * the same turn), which closes the excess: the bounds hold exactly.
 */
export function admission(options: AdmissionOptions) {
  const unauthenticated = new Map<string, number>();
  const authenticated = new WeakMap<object, () => void>();
  let io: GatewayServer | undefined;
  const refusal = (address: string, counting: number): string | undefined => {
    if ((io?.engine.clientsCount ?? 0) > options.maxConnections - counting) return 'too many connections';
    if ((unauthenticated.get(address) ?? 0) >= options.maxUnauthenticatedPerAddress) return 'too many connections not authenticated from this address';
    return undefined;
  };
  const allowRequest: AllowRequest = (req, callback) => {
    const reason = refusal(addressOf(req, options.trustProxy), 1);
    if (reason) options.onRefused?.(reason);
    callback(reason, reason === undefined);
  };
  return {
    allowRequest,
    /** Counts the gateway's connections from now on. */
    watch(server: GatewayServer): void {
      io = server;
      server.engine.on('connection', (conn: { request: IncomingMessage; close(): void; once(event: 'close', listener: () => void): void }) => {
        const address = addressOf(conn.request, options.trustProxy);
        const reason = refusal(address, 0);
        if (reason) {
          options.onRefused?.(reason);
          return conn.close();
        }
        unauthenticated.set(address, (unauthenticated.get(address) ?? 0) + 1);
        let pending = true;
        const settled = () => {
          if (!pending) return;
          pending = false;
          const left = unauthenticated.get(address)! - 1;
          if (left === 0) unauthenticated.delete(address);
          else unauthenticated.set(address, left);
        };
        authenticated.set(conn, settled);
        conn.once('close', settled);
      });
      server.on('connection', (socket) => authenticated.get(socket.conn)?.());
    },
  };
}

/** The client's address as Koa takes it (server/app.ts): behind `trustProxy` proxies, the first of the last `trustProxy` X-Forwarded-For hops. */
export function addressOf(req: IncomingMessage, trustProxy: number): string {
  const remote = req.socket?.remoteAddress ?? (req as unknown as { connection?: { remoteAddress?: string } }).connection?.remoteAddress ?? '';
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy === 0 || typeof forwarded !== 'string') return remote;
  return forwarded.split(/\s*,\s*/).slice(-trustProxy)[0] || remote;
}
