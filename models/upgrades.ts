import mongoose, { Schema, type Model } from 'mongoose';
import pLimit from 'p-limit';
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

/**
 * Sets fields of many documents for an upgrade: one update per command, a few at a time. FerretDB
 * makes each update a transaction of its own, and a command of thousands would outlast the store's
 * reply timeout.
 */
export async function setEach(model: Model<any>, changes: ReadonlyArray<{ _id: number; set: Record<string, unknown> }>): Promise<void> {
  const limit = pLimit(8);
  await Promise.all(changes.map(({ _id, set }) => limit(() => model.updateOne({ _id }, { $set: set }))));
}
