import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { GatewaySocket } from './types.js';

/** Client events a socket may send per second, and how far past that it may go before it is dropped. */
export const EVENTS_PER_SECOND = 20;
const DISCONNECT_AFTER_REFUSED = 100;

/**
 * Per-socket event rate: within the budget an event is handled; past it the event is refused through
 * its acknowledgement; a socket that keeps flooding is disconnected, so it cannot stall anyone else.
 */
export function eventBudget(onRefused: () => void = () => undefined) {
  const limiter = new RateLimiterMemory({ points: EVENTS_PER_SECOND, duration: 1 });
  const refused = new Map<string, number>();
  return {
    async allows(socket: GatewaySocket): Promise<boolean> {
      try {
        await limiter.consume(socket.id);
        return true;
      } catch {
        onRefused();
        const count = (refused.get(socket.id) ?? 0) + 1;
        refused.set(socket.id, count);
        // Only after the refusals decided so far are answered: events read in one tick (Node's HTTP server reads many
        // frames at once) get their acks after every decision, and a closed socket drops them.
        if (count >= DISCONNECT_AFTER_REFUSED) setImmediate(() => socket.disconnect(true));
        return false;
      }
    },
    forget(socket: GatewaySocket): void {
      refused.delete(socket.id);
      void limiter.delete(socket.id);
    },
  };
}
