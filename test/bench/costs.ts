import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the server and its store spend: CPU seconds of the server process and of the store's process
 * tree (FerretDB and the PostgreSQL it runs, or mongod), and the commands the server sent to the store
 * (its store_commands_total metric, less the id lease renewals).
 */
export interface Spent {
  server: number;
  ferretdb: number;
  postgres: number;
  /** Store commands by "command collection". */
  commands: Map<string, number>;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

function stat(pid: number): { ppid: number; cpu: number; name: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')) };
  } catch {
    return undefined; // gone
  }
}

/** CPU seconds of the store process `root` and of all its descendants (the PostgreSQL it runs). */
export function storeCpu(root: number): { own: number; postgres: number } {
  const all = readdirSync('/proc').flatMap((name) => (/^\d+$/.test(name) ? [[Number(name), stat(Number(name))] as const] : []));
  const children = new Map<number, number[]>();
  for (const [pid, info] of all) if (info) children.set(info.ppid, [...(children.get(info.ppid) ?? []), pid]);
  const byPid = new Map(all);
  let postgres = 0;
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      postgres += byPid.get(child)?.cpu ?? 0;
      walk(child);
    }
  };
  walk(root);
  return { own: stat(root)?.cpu ?? 0, postgres };
}

/** The server's store commands so far by "command collection", less the id lease renewals. */
async function storeCommands(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const [, command, collection, value] of text.matchAll(/^store_commands_total\{command="(\w+)",collection="([^"]*)"\} (\d+)$/gm)) {
    if (collection !== 'worker_leases') counts.set(`${command} ${collection}`, Number(value));
  }
  return counts;
}

export async function spent(server: { pid: number; baseUrl: string }, storePid: number): Promise<Spent> {
  const store = storeCpu(storePid);
  return { server: stat(server.pid)?.cpu ?? 0, ferretdb: store.own, postgres: store.postgres, commands: await storeCommands(server.baseUrl) };
}

/** Per-write costs between two samples: CPU ms of each part and store commands. */
export function perWrite(before: Spent, after: Spent, writes: number) {
  const ms = (key: 'server' | 'ferretdb' | 'postgres') => ((after[key] - before[key]) * 1000) / writes;
  const byKind = new Map([...after.commands].map(([kind, count]) => [kind, (count - (before.commands.get(kind) ?? 0)) / writes] as const).filter(([, count]) => count > 0));
  const commands = [...byKind.values()].reduce((sum, count) => sum + count, 0);
  return { server: ms('server'), ferretdb: ms('ferretdb'), postgres: ms('postgres'), total: ms('server') + ms('ferretdb') + ms('postgres'), commands, byKind };
}

/** The kinds of store commands that made up at least `share` of them, most first: "0.50 insert favorites, …". */
export function describeCommands(costs: ReturnType<typeof perWrite>, share = 0.05): string {
  return [...costs.byKind].filter(([, count]) => count >= costs.commands * share).sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${count.toFixed(2)} ${kind}`).join(', ');
}

export function describeCosts(costs: ReturnType<typeof perWrite>): string {
  return `${costs.commands.toFixed(2)} store commands, CPU ms: server ${costs.server.toFixed(2)}, FerretDB ${costs.ferretdb.toFixed(2)}, PostgreSQL ${costs.postgres.toFixed(2)}, all ${costs.total.toFixed(2)}`;
}
