import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'socket.io';
import type { Uws } from './uws-binaries.js';

export type TransportKind = 'uws' | 'node';

export interface Listening {
  kind: TransportKind;
  port: number;
  /** Stops accepting connections (open sockets are closed by Socket.IO). */
  close(): void;
}

/** Serves `io` on uWebSockets.js when its binary loads here, otherwise on Node's HTTP server. */
export async function listen(io: Server, host: string, port: number, uws: Uws | undefined): Promise<Listening> {
  return uws ? listenUws(io, uws, host, port) : listenNode(io, host, port);
}

function listenUws(io: Server, uws: Uws, host: string, port: number): Promise<Listening> {
  const app = uws.App();
  io.attachApp(app);
  return new Promise((resolve, reject) => {
    app.listen(host, port, (token) => {
      if (!token) return reject(new Error(`REALTIME_PORT ${port} on ${host} is not available`));
      resolve({ kind: 'uws', port: uws.us_socket_local_port(token), close: () => uws.us_listen_socket_close(token) });
    });
  });
}

function listenNode(io: Server, host: string, port: number): Promise<Listening> {
  const server = createServer();
  io.attach(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({ kind: 'node', port: (server.address() as AddressInfo).port, close: () => server.close() });
    });
  });
}
