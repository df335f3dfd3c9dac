import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../../server/store/free-port.js';
import { temporaryDir } from './dirs.js';
import { startTestRedis } from './redis.js';

export interface TestRedisCluster {
  /** The nodes' redis:// URLs; each node is a primary holding a third of the slots. */
  urls: string[];
  /** The URL of the node holding the slot of `key` (a key or a sharded channel's name). */
  nodeOf(key: string): Promise<string>;
  /** Runs one command on the node of `url`. */
  command(url: string, ...args: string[]): Promise<unknown>;
  /** Stops every node, as an outage of the whole cluster would. */
  stopNodes(): Promise<void>;
  /** Starts them again on their ports, with the cluster they had, and waits until it is ok. */
  startNodes(): Promise<void>;
  stop(): Promise<void>;
}

const dirs = new Set<string>();
process.once('exit', () => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * A real Redis Cluster of `size` primaries and no replicas, on free loopback ports, without
 * persistence (the nodes are killed at the test process's exit like any test redis-server).
 */
export async function startTestRedisCluster(size = 3): Promise<TestRedisCluster> {
  const dir = temporaryDir('douyin-redis-cluster-');
  dirs.add(dir);
  const nodes = await Promise.all(Array.from({ length: size }, async (_, i) => {
    // The cluster bus would otherwise listen on the node's port + 10000, which may be taken or past 65535.
    const bus = await freePort();
    return startTestRedis(['--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-port', String(bus)]);
  }));
  const urls = nodes.map((node) => node.url);
  const addresses = urls.map((url) => new URL(url).host);
  await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
  const connections = new Map(urls.map((url) => [url, new Redis(url).on('error', () => undefined)]));
  const command = (url: string, ...args: string[]) => connections.get(url)!.call(args[0]!, ...args.slice(1));
  await allOk(urls, command);
  const slots = (await command(urls[0]!, 'CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  return {
    urls,
    command,
    async nodeOf(key) {
      const slot = (await command(urls[0]!, 'CLUSTER', 'KEYSLOT', key)) as number;
      const [, , [host, port]] = slots.find(([from, to]) => from <= slot && slot <= to)!;
      return `redis://${host}:${port}`;
    },
    async stopNodes() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
    async startNodes() {
      await Promise.all(nodes.map((node) => node.start()));
      await allOk(urls, command);
    },
    async stop() {
      connections.forEach((connection) => connection.disconnect());
      await Promise.all(nodes.map((node) => node.stop()));
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

/** Waits until every node says the cluster is ok (all slots served, every node known). */
async function allOk(urls: string[], command: TestRedisCluster['command']): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const infos = await Promise.all(urls.map((url) => command(url, 'CLUSTER', 'INFO') as Promise<string>));
    if (infos.every((info) => /^cluster_state:ok\r?$/m.test(info) && new RegExp(`^cluster_known_nodes:${urls.length}\\r?$`, 'm').test(info))) return;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster is not ok:\n${infos.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
