import { runArtillery } from './artillery.js';
import { peerOf, startLoadWorld, tokenOf, type RowsOf } from './world.js';

/** One row per seeded user, chatting with its neighbour. */
const rows: RowsOf = (users, videos) => users.map((id, i) => ({
  token: tokenOf(id), peerId: peerOf(users, i), peerToken: tokenOf(peerOf(users, i)), myId: id, videoId: videos[i % videos.length]!, otherId: users[(i + 2) % users.length]!,
}));

/** The smoke run: a small world, each scenario once at its light fixed rate, artillery's report printed; false if one failed. */
export async function smoke(users: string, scenarios: readonly string[]): Promise<boolean> {
  console.log(`seeding with npm run seed: ${users} users, 12 videos (neighbours are friends who chatted)`);
  const seedArgs = ['--users', users, '--videos', '12', '--follows', '1', '--likes', '2', '--comments', '1', '--messages', '2'];
  const world = await startLoadWorld(seedArgs, rows);
  let passed = true;
  try {
    for (const scenario of scenarios) {
      console.log(`\n=== artillery: ${scenario}.yml ===`);
      if ((await runArtillery(scenario, { target: world.server }).exited) !== 0) passed = false;
    }
  } finally {
    await world.stop();
  }
  return passed;
}
