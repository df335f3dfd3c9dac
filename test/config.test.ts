import test from 'ava';
import { ConfigError, loadConfig } from '../server/config.js';

test('defaults need no environment at all', (t) => {
  const config = loadConfig({});
  t.like(config, {
    PORT: 8080, REALTIME_PORT: 8081, MONGO_URL: undefined, REDIS_URL: undefined, PUBLIC_URL: undefined,
    EMBEDDED_STORE: 'auto', TOKEN_TTL: 604800, JWT_SECRET: undefined, DEMO_WORLD: 'on', REDIS_ADAPTER: 'sharded',
    REQUEST_DEADLINE_MS: 5000, MAX_PENDING_REQUESTS: 1024,
  });
  t.true(config.DATA_DIR.endsWith('/data'));
});

test('values are converted and checked', (t) => {
  const config = loadConfig({
    PORT: '9000', TOKEN_TTL: '12h', PUBLIC_URL: 'https://cdn.example.com/', MONGO_URL: 'mongodb://db:27017/app',
    REDIS_URL: 'redis://cache:6379', JWT_SECRET: 'x'.repeat(32), PUBLIC_REALTIME_URL: 'wss://rt.example.com/', REDIS_ADAPTER: 'classic',
    REQUEST_DEADLINE_MS: '8000', MAX_PENDING_REQUESTS: '64',
  });
  t.like(config, { REQUEST_DEADLINE_MS: 8000, MAX_PENDING_REQUESTS: 64, REDIS_ADAPTER: 'classic', PORT: 9000, TOKEN_TTL: 43200, PUBLIC_URL: 'https://cdn.example.com', PUBLIC_REALTIME_URL: 'wss://rt.example.com' });
});

test('REDIS_URL: one server, or with REDIS_CLUSTER=on the seed nodes of a cluster', (t) => {
  t.like(loadConfig({ REDIS_URL: 'redis://cache:6379' }), { REDIS_URL: ['redis://cache:6379'], REDIS_CLUSTER: 'off' });
  t.like(loadConfig({ REDIS_URL: 'redis://a:6379, rediss://user:secret@b:6380', REDIS_CLUSTER: 'on' }), {
    REDIS_URL: ['redis://a:6379', 'rediss://user:secret@b:6380'],
    REDIS_CLUSTER: 'on',
  });
});

test('an empty variable counts as unset', (t) => {
  t.is(loadConfig({ PORT: '', MONGO_URL: '' }).PORT, 8080);
});

const invalid: Array<[Record<string, string>, string]> = [
  [{ PORT: 'eighty' }, 'PORT'],
  [{ PORT: '70000' }, 'PORT'],
  [{ REALTIME_PORT: '-1' }, 'REALTIME_PORT'],
  [{ MONGO_URL: 'http://db' }, 'MONGO_URL'],
  [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
  [{ REDIS_ADAPTER: 'streams' }, 'REDIS_ADAPTER'],
  [{ REDIS_URL: 'redis://a:6379,b:6379', REDIS_CLUSTER: 'on' }, 'REDIS_URL'],
  [{ REDIS_URL: 'redis://a:6379,redis://b:6379' }, 'REDIS_URL'],
  [{ REDIS_CLUSTER: 'on' }, 'REDIS_CLUSTER'],
  [{ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER: 'yes' }, 'REDIS_CLUSTER'],
  [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
  [{ PUBLIC_REALTIME_URL: 'rt.example.com:8081' }, 'PUBLIC_REALTIME_URL'],
  [{ TOKEN_TTL: '5 days' }, 'TOKEN_TTL'],
  [{ TOKEN_TTL: '10s' }, 'TOKEN_TTL'],
  [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
  [{ EMBEDDED_STORE: 'ferretdb' }, 'EMBEDDED_STORE'],
  [{ DEMO_WORLD: 'no' }, 'DEMO_WORLD'],
  [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
  [{ MEDIA_STORAGE: 'disk' }, 'MEDIA_STORAGE'],
  [{ MEDIA_STORAGE: 's3' }, 'S3_BUCKET'],
  [{ MEDIA_STORAGE: 's3', S3_BUCKET: 'Bad_Bucket' }, 'S3_BUCKET'],
  [{ MEDIA_STORAGE: 's3', S3_BUCKET: 'media', S3_ACCESS_KEY_ID: 'only-the-id' }, 'S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY'],
  [{ S3_ENDPOINT: 'minio:9000' }, 'S3_ENDPOINT'],
  [{ S3_URL_TTL: '8d' }, 'S3_URL_TTL'],
  [{ REQUEST_DEADLINE_MS: '5s' }, 'REQUEST_DEADLINE_MS'],
  [{ REQUEST_DEADLINE_MS: '1000' }, 'REQUEST_DEADLINE_MS'],
  [{ MAX_PENDING_REQUESTS: '0' }, 'MAX_PENDING_REQUESTS'],
  [{ ANONYMOUS_UPLOAD_MB: '-1' }, 'ANONYMOUS_UPLOAD_MB'],
  [{ ANONYMOUS_UPLOAD_MB_PER_ADDRESS: 'lots' }, 'ANONYMOUS_UPLOAD_MB_PER_ADDRESS'],
  [{ UPLOAD_MIN_BYTES_PER_S: '1.5' }, 'UPLOAD_MIN_BYTES_PER_S'],
  [{ UPLOAD_RATE_WINDOW_S: '0' }, 'UPLOAD_RATE_WINDOW_S'],
  [{ UPLOAD_RATE_WINDOW_S: '600' }, 'UPLOAD_RATE_WINDOW_S'],
];
for (const [env, variable] of invalid) {
  test(`${JSON.stringify(env)} is refused naming ${variable}`, (t) => {
    const error = t.throws(() => loadConfig(env), { instanceOf: ConfigError });
    t.regex(error!.message, new RegExp(`^  ${variable}: `, 'm'));
  });
}

test('S3 media: path-style addressing by default for an S3-compatible endpoint, virtual-hosted for AWS; a TTL in seconds', (t) => {
  const compatible = loadConfig({ MEDIA_STORAGE: 's3', S3_BUCKET: 'media', S3_ENDPOINT: 'http://minio:9000', S3_URL_TTL: '2h', S3_PUBLIC_URL: 'https://cdn.example.com/v/' });
  t.like(compatible, { S3_FORCE_PATH_STYLE: true, S3_URL_TTL: 7200, S3_REGION: 'us-east-1', S3_PUBLIC_URL: 'https://cdn.example.com/v' });
  t.like(loadConfig({ MEDIA_STORAGE: 's3', S3_BUCKET: 'media' }), { S3_FORCE_PATH_STYLE: false, S3_URL_TTL: 3600 });
  t.like(loadConfig({ MEDIA_STORAGE: 's3', S3_BUCKET: 'media', S3_ENDPOINT: 'http://x:9000', S3_FORCE_PATH_STYLE: 'false' }), { S3_FORCE_PATH_STYLE: false });
});

test('uploads before their token: a budget of four largest uploads in all and one per address unless set; one address never more than all', (t) => {
  t.like(loadConfig({}), { ANONYMOUS_UPLOAD_MB: 400, ANONYMOUS_UPLOAD_MB_PER_ADDRESS: 100, UPLOAD_MIN_BYTES_PER_S: 1024, UPLOAD_RATE_WINDOW_S: 20 });
  t.like(loadConfig({ MAX_UPLOAD_MB: '10' }), { ANONYMOUS_UPLOAD_MB: 40, ANONYMOUS_UPLOAD_MB_PER_ADDRESS: 10 });
  t.like(loadConfig({ ANONYMOUS_UPLOAD_MB: '50' }), { ANONYMOUS_UPLOAD_MB: 50, ANONYMOUS_UPLOAD_MB_PER_ADDRESS: 50 });
  t.like(loadConfig({ ANONYMOUS_UPLOAD_MB: '0' }), { ANONYMOUS_UPLOAD_MB: 0, ANONYMOUS_UPLOAD_MB_PER_ADDRESS: 0 });
  t.like(loadConfig({ UPLOAD_MIN_BYTES_PER_S: '0', UPLOAD_RATE_WINDOW_S: '5' }), { UPLOAD_MIN_BYTES_PER_S: 0, UPLOAD_RATE_WINDOW_S: 5 });
});

test('production starts with a secret of its own', (t) => {
  t.is(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'y'.repeat(40) }).JWT_SECRET, 'y'.repeat(40));
});
