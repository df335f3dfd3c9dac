import anyTest, { type TestFn } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { client } from './helpers/api.js';
import { fixtureDir, makeVideo } from './helpers/media.js';
import { startStack, type Stack } from './helpers/stack.js';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';

/**
 * The web console end to end: two real browser sessions (Debian's Chromium driven by playwright-core)
 * against a real server, seeing each other's likes, follows and chat messages live.
 */
const test = anyTest.serial as TestFn<Stack & { browser: Browser }>;

/**
 * This machine's address as another computer browses to it: plain http there is not "potentially
 * trustworthy" to the browser as localhost is, so policies such as upgrade-insecure-requests bite.
 */
const address = Object.values(networkInterfaces()).flat().find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address ?? '127.0.0.1';

test.before(async (t) => {
  const stack = await startStack('console', { HOST: '0.0.0.0' });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.context = { ...stack, browser };
});

test.after.always(async (t) => {
  await t.context.browser?.close();
  await t.context.stop?.();
});

const pageErrors: string[] = [];

async function signUp(t: { context: Stack & { browser: Browser } }, name: string): Promise<Page> {
  const page = await (await t.context.browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  await page.goto(`http://${address}:${new URL(t.context.server.baseUrl).port}/`);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', 'correct-horse');
  await page.click('button[value=register]');
  await page.locator('#live', { hasText: 'live' }).waitFor();
  return page;
}

/** What the page keeps in sessionStorage (evaluated in the browser, hence the string). */
const sessionOf = (page: Page) => page.evaluate<{ token: string; id: number }>(`({ token: sessionStorage.getItem('token'), id: Number(sessionStorage.getItem('userId')) })`);

/** The parts of an HTMLVideoElement this test reads (the project's types do not include the DOM). */
interface VideoElement {
  readyState: number;
  duration: number;
  error: { code: number } | null;
  addEventListener(type: string, listener: (...args: unknown[]) => void, options?: { once: boolean }): void;
}

test('two people like, follow and chat in the console and each sees the other live', async (t) => {
  const suffix = Math.random().toString(36).slice(2, 7);
  const alice = await signUp(t, `alice_${suffix}`);
  const bob = await signUp(t, `bob_${suffix}`);
  t.regex(await alice.textContent('#whoami') ?? '', /alice_/);

  // Bob has a video (published through the API, as the app would); Alice finds it in her feed.
  const clip = await readFile(await makeVideo(path.join(await fixtureDir(), 'clip.webm'), { color: 'orange', seconds: 1 }));
  await client(t.context.server.baseUrl).publish((await sessionOf(bob)).token, 'orange clip', clip);
  await alice.click('#refresh-feed');
  const card = alice.locator('article.video', { hasText: 'orange clip' });
  await card.waitFor();
  const video = card.locator('video');
  await video.evaluate((node) => new Promise((resolve, reject) => {
    const element = node as unknown as VideoElement;
    if (element.readyState >= 1) return resolve(undefined);
    element.addEventListener('loadedmetadata', resolve, { once: true });
    element.addEventListener('error', () => reject(new Error(`video error ${element.error?.code}`)), { once: true });
  }));
  t.true(await video.evaluate((node) => (node as unknown as VideoElement).duration > 0.5), 'the player loads the real clip');

  await card.locator('button.like').click();
  await bob.locator('#notifications li', { hasText: /alice_\w+ liked your video/ }).waitFor();
  t.is(await card.locator('.likes').textContent(), '1 likes');

  await card.locator('button.follow').click();
  const followed = bob.locator('#notifications li', { hasText: /alice_\w+ followed you/ });
  await followed.waitFor();
  await followed.locator('button.follow').click(); // follow back: now they are friends
  await alice.locator('#notifications li', { hasText: /bob_\w+ followed you: you are friends/ }).waitFor();

  await alice.locator('#friends li', { hasText: /bob_/ }).click();
  await bob.click('#refresh-friends');
  await bob.locator('#friends li', { hasText: /alice_/ }).click();
  await alice.fill('#chat-form input', 'hi bob, nice clip');
  await alice.click('#chat-form button');
  await bob.locator('#chat-log li', { hasText: 'hi bob, nice clip' }).waitFor();
  await bob.fill('#chat-form input', 'thanks alice!');
  await bob.press('#chat-form input', 'Enter');
  await alice.locator('#chat-log li', { hasText: 'thanks alice!' }).waitFor();
  t.deepEqual(await alice.locator('#chat-log li').allTextContents(), ['hi bob, nice clip', 'thanks alice!'], 'each message shown once, in order');
  t.deepEqual(await bob.locator('#chat-log li').allTextContents(), ['hi bob, nice clip', 'thanks alice!']);
  t.deepEqual(pageErrors, [], 'no script errors in either page');
});
