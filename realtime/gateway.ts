import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { Deadlines } from '../models/deadline.js';
import { decideAudience, decideOnline, type Sessions } from '../models/index.js';
import { PROCESS_ID } from '../models/ids.js';
import { redisAdapter, type RedisAdapterKind } from './adapter.js';
import { admission } from './admission.js';
import { authenticate } from './auth.js';
import { deliverDomainEvents } from './delivery.js';
import { registerHandlers } from './handlers.js';
import { eventBudget } from './limits.js';
import { closeLoggedOutSockets } from './logouts.js';
import { trackPresence } from './presence.js';
import { redisPresence } from './presence-store.js';
import { memoryWindow } from './typing.js';
import { adapterClients } from './redis.js';
import { closeConnection, connectRedis, REDIS_COMMAND_TIMEOUT_MS, type RedisTarget } from './redis-connection.js';
import { listen, type TransportKind } from './transport.js';
import { loadUws } from './uws-binaries.js';
import { userRoom, type GatewayServer } from './types.js';

/** Largest client event accepted, in bytes; a larger one closes that socket. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;
/** A long-polling POST whose body has not arrived within this time is answered 408 and dropped. */
export const POLL_BODY_TIMEOUT_MS = 10_000;

export interface GatewayOptions {
  host: string;
  port: number;
  transport: 'auto' | TransportKind;
  redis: RedisTarget | undefined;
  redisAdapter: RedisAdapterKind;
  sessions: Sessions;
  logger: Logger;
  requireFriendship: boolean;
  /** The budget each event is acknowledged within (shared with REST, as is the bound on waiting ones). */
  deadlines: Deadlines;
  /** Counts each message a user sends (shared with REST); throws a refusal past the limit. */
  messageLimit: { consume(userId: number): Promise<void> };
  /** Whether a like's or follow's notification is pushed: the first for its actor and target within a window. */
  notificationRepeats?: { first(key: string): Promise<boolean> };
  /** Whether a typing event of a pair is the first within a second, on all processes; in memory when not given. */
  typingWindow?: { first(key: string): Promise<boolean> };
  /** Counts the friends each presence announcement reaches. */
  onPresenceAnnounced?: (friends: number) => void;
  /** Origins allowed to connect from a browser; `*` for any. */
  corsOrigins: string[];
  publicUrl: string | undefined;
  fallbackMediaBase: string;
  /** Counts each socket event emitted, and each client event refused by the per-socket rate. */
  onDelivered?: (event: string) => void;
  onRateLimited?: (limit: string) => void;
  /** Counts each pub/sub message the adapter's subscriber connection receives from Redis. */
  onAdapterPacket?: () => void;
  formatDate: (epochMs: number) => string;
  /** Connections held at most (authenticated or not); beyond, new ones are refused while REST goes on. */
  maxConnections: number;
  /** Connections from one address that have not authenticated yet, at most. */
  maxUnauthenticatedPerAddress: number;
  /** A connection that has not authenticated within this time is closed. */
  handshakeTimeoutMs: number;
  /** TRUST_PROXY: how many proxies' X-Forwarded-For hops to believe for the client's address. */
  trustProxy: number;
}

export interface Gateway {
  port: number;
  transport: TransportKind;
  /** The npm package whose uWebSockets.js binary serves the gateway, when it runs on one. */
  uwsPackage: string | undefined;
  /** The ceiling of connections it holds. */
  maxConnections: number;
  /** Sockets connected to this process. */
  socketCount(): number;
  /** Whether the Redis the adapter uses is connected and answers a ping now (a frozen Redis still looks connected); true without Redis. */
  redisReady(): Promise<boolean>;
  /** Stops accepting, disconnects every socket (clients reconnect elsewhere), lets writes in flight finish, closes Redis. */
  close(): Promise<void>;
}

/** The Socket.IO gateway of the realtime contract, on uWebSockets.js when it loads here. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const admitted = admission({
    maxConnections: options.maxConnections,
    maxUnauthenticatedPerAddress: options.maxUnauthenticatedPerAddress,
    trustProxy: options.trustProxy,
    onRefused: () => options.onRateLimited?.('socketConnections'),
  });
  const io: GatewayServer = new Server({
    serveClient: false,
    allowRequest: admitted.allowRequest,
    connectTimeout: options.handshakeTimeoutMs,
    maxHttpBufferSize: MAX_PAYLOAD_BYTES,
    httpRequestBodyTimeout: POLL_BODY_TIMEOUT_MS,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    cors: { origin: options.corsOrigins.includes('*') ? '*' : options.corsOrigins },
  });

  const redis = options.redis ? adapterClients(options.redis, logger) : undefined;
  if (redis) io.adapter(redisAdapter(options.redisAdapter, redis, logger, options.onAdapterPacket));

  const budget = eventBudget(() => options.onRateLimited?.('socketEvents'));
  const inFlight = new Set<Promise<void>>();
  const views = { mediaBase: options.publicUrl ?? options.fallbackMediaBase, formatDate: options.formatDate };
  // Its own connection, with a queue: a socket connecting while Redis is being reached waits for it (1 s at most).
  const presenceRedis = options.redis ? connectRedis(options.redis, { maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS }) : undefined;
  presenceRedis?.on('error', () => undefined); // the adapter's connections log outages
  const presence = trackPresence(io, {
    logger,
    ...(presenceRedis && { shared: redisPresence(presenceRedis, PROCESS_ID) }),
    ...(options.onPresenceAnnounced && { onAnnounced: options.onPresenceAnnounced }),
  });
  const typing = {
    typingWindow: options.typingWindow ?? memoryWindow(1_000),
    forwardTyping: (from: number, to: number) => {
      io.to(userRoom(to)).emit('typing', { from_user_id: from });
      options.onDelivered?.('typing');
    },
    online: presence.online,
  };
  io.use(authenticate(options.sessions, options.deadlines));
  io.on('connection', (socket) => {
    const { userId } = socket.data;
    void socket.join(userRoom(userId));
    presence.connected(userId);
    registerHandlers(socket, { budget, deadlines: options.deadlines, inFlight, logger, requireFriendship: options.requireFriendship, messageLimit: options.messageLimit, views, ...typing });
    socket.on('disconnect', () => {
      budget.forget(socket);
      presence.disconnected(userId);
    });
  });
  decideOnline(presence.online);
  const stopDelivery = deliverDomainEvents(io, { ...options, packetPerRoom: redis !== undefined && options.redisAdapter === 'sharded' });
  const stopLogouts = closeLoggedOutSockets(io);
  // Alone, this process holds every socket there is: nobody else can listen. Scaled out, anyone may.
  decideAudience(redis ? undefined : (userId) => io.of('/').adapter.rooms.has(userRoom(userId)));

  const uws = options.transport === 'node' ? { reason: 'REALTIME_TRANSPORT=node' } : loadUws();
  if (!('uws' in uws)) {
    if (options.transport === 'uws') throw new Error(`REALTIME_TRANSPORT=uws, but uWebSockets.js cannot load here: ${uws.reason}`);
    logger.warn(`realtime gateway on Node's HTTP server: uWebSockets.js is not used (${uws.reason})`);
  }
  const listening = await listen(io, options.host, options.port, 'uws' in uws ? uws.uws : undefined);
  admitted.watch(io); // its engine exists once attached

  return {
    port: listening.port,
    transport: listening.kind,
    uwsPackage: 'uws' in uws ? uws.from : undefined,
    maxConnections: options.maxConnections,
    socketCount: () => io.engine.clientsCount,
    redisReady: async () => !redis || redis.ready(),
    async close() {
      listening.close();
      stopDelivery();
      stopLogouts();
      decideAudience(undefined);
      // Each connection is closed rather than its socket disconnected: a client reconnects by itself
      // after a closed transport (to another process behind a balancer), never after a server-side
      // disconnect. And only this process's: through the Redis adapter, io.disconnectSockets would
      // reach every process's sockets.
      for (const socket of io.of('/').sockets.values()) socket.conn.close();
      await Promise.allSettled([...inFlight]);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      decideOnline(undefined);
      await presence.close();
      if (presenceRedis) await closeConnection(presenceRedis);
      await redis?.close();
    },
  };
}
