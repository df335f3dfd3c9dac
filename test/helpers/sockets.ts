import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../realtime/contract.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ServerToClientEvents;
type Payload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/** A real Socket.IO client over a real WebSocket, connected and authenticated, recording every event. */
export async function connect(url: string, token: string, options: { viaQuery?: boolean } = {}): Promise<Recorder> {
  const socket: ClientSocket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(options.viaQuery ? { query: { token } } : { auth: { token } }),
  });
  const recorder = new Recorder(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return recorder;
}

/** The error a refused handshake gets. */
export function refusal(url: string, auth: Record<string, unknown>, query?: Record<string, string>): Promise<string> {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth, ...(query ? { query } : {}) });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.disconnect();
      reject(new Error('connected, but should have been refused'));
    });
    socket.once('connect_error', (error) => {
      socket.disconnect();
      resolve(error.message);
    });
  });
}

export class Recorder {
  readonly events: Array<{ name: EventName; payload: unknown }> = [];
  private waiters: Array<() => void> = [];

  constructor(readonly socket: ClientSocket) {
    socket.onAny((name: EventName, payload: unknown) => {
      this.events.push({ name, payload });
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  received<E extends EventName>(name: E): Array<Payload<E>> {
    return this.events.filter((event) => event.name === name).map((event) => event.payload as Payload<E>);
  }

  /** Waits until `count` events of `name` have arrived (in total), or fails after `ms`. */
  async waitFor<E extends EventName>(name: E, count = 1, ms = 5_000): Promise<Array<Payload<E>>> {
    const deadline = Date.now() + ms;
    while (this.received(name).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${count} × ${name} expected, got ${this.received(name).length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received(name);
  }

  send(payload: unknown): Promise<Record<string, any>> {
    return this.socket.timeout(5_000).emitWithAck('message:send', payload as never) as Promise<Record<string, any>>;
  }

  sync(payload: unknown): Promise<Record<string, any>> {
    return this.socket.timeout(5_000).emitWithAck('message:sync', payload as never) as Promise<Record<string, any>>;
  }

  syncNotifications(payload: unknown): Promise<Record<string, any>> {
    return this.socket.timeout(5_000).emitWithAck('notification:sync', payload as never) as Promise<Record<string, any>>;
  }

  /** Emits a client event and waits for its acknowledgement. */
  ask(event: 'message:read' | 'typing' | 'presence:list', payload: unknown): Promise<Record<string, any>> {
    return this.socket.timeout(5_000).emitWithAck(event, payload as never) as Promise<Record<string, any>>;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Lets in-flight events arrive before asserting that something did not. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
