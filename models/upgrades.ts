import mongoose, { Schema } from 'mongoose';
import { isDuplicateKey } from './ids.js';

const Upgrade = mongoose.model(
  'Upgrade',
  new Schema({ _id: { type: String, required: true }, doneAt: { type: Date, required: true } }, { versionKey: false, collection: 'upgrades' }),
);

/**
 * Runs `upgrade` on data stored by older versions, unless it completed on this store before. Upgrades
 * must be idempotent: one interrupted (a crash) or run by two processes starting together runs again.
 */
export async function upgradeOnce(name: string, upgrade: () => Promise<unknown>): Promise<void> {
  if (await Upgrade.exists({ _id: name })) return;
  await upgrade();
  try {
    await Upgrade.create({ _id: name, doneAt: new Date() });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}
