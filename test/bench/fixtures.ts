import { readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import mongoose from 'mongoose';
import { nextId } from '../../models/ids.js';
import { openDatabase, closeDatabase } from '../../models/db.js';
import { usernameSkeleton } from '../../models/look-alikes.js';
import { User, usernameKey } from '../../models/user.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';

export interface BenchUser {
  id: number;
  token: string;
}

/**
 * Inserts `count` users straight into the database (no password hashing: they never log in) and signs
 * their tokens with the servers' secret. Registering 10,000 users over HTTP would measure argon2.
 */
export async function seedUsers(mongoUrl: string, count: number): Promise<BenchUser[]> {
  await openDatabase(mongoUrl);
  try {
    const users: BenchUser[] = [];
    for (let start = 0; start < count; start += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => {
        const id = nextId();
        const username = `bench_${id}_${start + i}`;
        return { _id: id, username, usernameKey: usernameKey(username), usernameSkeleton: usernameSkeleton(username), passwordHash: 'not-a-login-user' };
      });
      await User.insertMany(batch, { ordered: false });
      for (const user of batch) users.push({ id: user._id, token: jwt.sign({}, TEST_JWT_SECRET, { subject: String(user._id), expiresIn: 3600 }) });
    }
    return users;
  } finally {
    await closeDatabase();
    await mongoose.disconnect();
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
