/**
 * A real S3-compatible server for the tests of the S3 media storage: SeaweedFS (`weed server` with
 * its S3 gateway), built from the Go module in test/s3-server on first use and cached. SeaweedFS
 * because it is a real, maintained object store (not a mock), it comes from the Go module proxy
 * like FerretDB (no download site), and it checks signatures, presigned URLs and Range as S3 does.
 *   node dist/test/helpers/s3-server.js --build   builds (and caches) it, as `npm test` does first
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../server/logger.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { freePort } from '../../server/store/free-port.js';
import { goBinary } from '../../server/store/go-binary.js';
import { removeDataDir, temporaryDir } from './dirs.js';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The environment that points a server at this bucket. */
  env: Record<string, string>;
  /** A client with the server's credentials, for looking at the bucket directly. */
  client: S3Client;
  /** Kills the server (as an outage would); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections are accepted and never answered, as a hung server's are. */
  pause(): void;
  resume(): void;
  /** Stops it for good and removes its data. */
  remove(): Promise<void>;
}

const SEAWEEDFS = {
  name: 'seaweedfs-4.53',
  moduleDir: path.join(PROJECT_ROOT, 'test/s3-server'),
  target: 'github.com/seaweedfs/seaweedfs/weed',
  buildTime: 'about four minutes on two cores',
};
const READY_MS = 60_000;
const START_ATTEMPTS = 3;

const started = new Set<ChildProcess>();
process.once('exit', () => started.forEach((child) => child.kill('SIGKILL')));

export function seaweedfsBinary(): Promise<string> {
  return goBinary(SEAWEEDFS, createLogger('info'));
}

/**
 * SeaweedFS on free loopback ports with one bucket, and credentials that every request must sign with.
 * A port found free can be taken by a parallel test before weed binds it (weed then exits at once):
 * such a start is tried again on other ports.
 */
export async function startTestS3(bucket = 'media'): Promise<TestS3> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchTestS3(bucket);
    } catch (error) {
      if (!(error instanceof EarlyExit) || attempt === START_ATTEMPTS) throw error;
    }
  }
}

async function launchTestS3(bucket: string): Promise<TestS3> {
  const binary = await seaweedfsBinary();
  const dir = temporaryDir('douyin-s3-');
  const credentials = { accessKeyId: `test${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(20).toString('hex') };
  const config = path.join(dir, 's3.json');
  await writeFile(config, JSON.stringify({
    identities: [{ name: 'douyin', credentials: [{ accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }],
  }));
  const ports = await freePorts(8);
  const args = [
    'server', '-ip=127.0.0.1', `-dir=${dir}`, '-master.volumeSizeLimitMB=64', '-volume.preStopSeconds=0', '-master.peers=none',
    `-master.port=${ports[0]}`, `-master.port.grpc=${ports[1]}`, `-volume.port=${ports[2]}`, `-volume.port.grpc=${ports[3]}`,
    '-filer', `-filer.port=${ports[4]}`, `-filer.port.grpc=${ports[5]}`,
    '-s3', `-s3.port=${ports[6]}`, `-s3.port.grpc=${ports[7]}`, '-s3.port.iceberg=0', '-s3.port.lance=0', `-s3.config=${config}`,
  ];
  const endpoint = `http://127.0.0.1:${ports[6]}`;
  const client = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let child: ChildProcess | undefined;
  const s3: TestS3 = {
    endpoint,
    bucket,
    client,
    env: {
      MEDIA_STORAGE: 's3', S3_ENDPOINT: endpoint, S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: credentials.accessKeyId, S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async start() {
      child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      started.add(child);
      await createBucketWhenReady(client, bucket, child, loggedErrors(child));
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async remove() {
      client.destroy();
      await s3.stop();
      await removeDataDir(dir);
    },
  };
  await s3.start().catch(async (error: unknown) => {
    await s3.remove();
    throw error;
  });
  return s3;
}

class EarlyExit extends Error {}

/** The error and fatal lines weed logged (glog's E and F lines on stderr), for saying why it exited. */
function loggedErrors(child: ChildProcess): () => string {
  const errors: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    errors.push(...lines.filter((line) => /^[EF]\d{4} /.test(line)));
    errors.splice(0, errors.length - 5);
  });
  return () => errors.join('\n');
}

/** The gateway answers before its volume server has joined: the bucket is made (or found) once writes work. */
async function createBucketWhenReady(client: S3Client, bucket: string, child: ChildProcess, errors: () => string): Promise<void> {
  const deadline = Date.now() + READY_MS;
  for (;;) {
    if (child.exitCode !== null) throw new EarlyExit(`weed exited with ${child.exitCode} before it was ready: ${errors() || 'no error logged'}`);
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
        if ((error as Error).name !== 'BucketAlreadyOwnedByYou' && (error as Error).name !== 'BucketAlreadyExists') throw error;
      });
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ready', Body: 'ok' }));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`SeaweedFS was not ready within ${READY_MS} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--build')) {
  console.log(`SeaweedFS binary: ${await seaweedfsBinary()}`);
}
