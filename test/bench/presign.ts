/**
 * What signing one presigned media link costs (the CPU an uncached play_url or cover_url takes).
 *   npm run bench:presign -- [--count 10000]
 * Signing is local computation: no S3 server is involved.
 */
import { parseArgs } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const { values } = parseArgs({ options: { count: { type: 'string', default: '10000' } } });
const count = Number(values.count);
const client = new S3Client({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
const sign = (i: number) => getSignedUrl(client, new GetObjectCommand({ Bucket: 'media', Key: `videos/${i}.mp4` }), { expiresIn: 3600 });

for (let i = 0; i < count / 10; i += 1) await sign(i); // warm-up
const started = process.hrtime.bigint();
for (let i = 0; i < count; i += 1) await sign(i);
const micros = Number(process.hrtime.bigint() - started) / count / 1000;
console.log(`${micros.toFixed(1)} µs per presigned link (${count} signed one after another)`);
