import anyTest, { type TestFn } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { client } from './helpers/api.js';
import { fixtureDir, makeVideo, tinyVideo } from './helpers/media.js';
import { startStack, type Stack } from './helpers/stack.js';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';

/**
 * The web console end to end: real browser sessions (Debian's Chromium driven by playwright-core)
 * against a real server, seeing each other's likes, follows and chat messages live, and the
 * notifications kept while they were away.
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

/** A new browser session that registers (or logs in as) `name` with the password the API helper uses too. */
async function signUp(t: { context: Stack & { browser: Browser } }, name: string, action: 'register' | 'login' = 'register'): Promise<Page> {
  const page = await (await t.context.browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  await page.goto(`http://${address}:${new URL(t.context.server.baseUrl).port}/`);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', 'correct-horse');
  await page.click(`button[value=${action}]`);
  await page.locator('#live', { hasText: 'live' }).waitFor();
  return page;
}

/** The notifications listed, without the buttons in them. */
const notificationTexts = (page: Page) => page.locator('#notifications li').evaluateAll((items) => items.map((item) => item.firstChild?.textContent));

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

  // The badge counts what Bob has not read; marking read clears it.
  await bob.locator('#unread', { hasText: /^2$/ }).waitFor();
  t.is(await bob.locator('#notifications li.unread').count(), 2);
  await bob.click('#mark-read');
  await bob.locator('#unread').waitFor({ state: 'hidden' });
  t.is(await bob.locator('#notifications li.unread').count(), 0);

  await alice.locator('#friends li', { hasText: /bob_/ }).click();
  await bob.click('#refresh-friends');
  await bob.locator('#friends li', { hasText: /alice_/ }).click();
  await alice.fill('#chat-form input', 'hi bob, nice clip');
  await alice.click('#chat-form button');
  await bob.locator('#chat-log li', { hasText: 'hi bob, nice clip' }).waitFor();
  await bob.fill('#chat-form input', 'thanks alice!');
  await bob.press('#chat-form input', 'Enter');
  await alice.locator('#chat-log li', { hasText: 'thanks alice!' }).waitFor();
  await bob.locator('#chat-log li', { hasText: 'thanks alice!' }).waitFor(); // shown on its ack, which may come after Alice's push
  t.deepEqual(await alice.locator('#chat-log li').allTextContents(), ['hi bob, nice clip', 'thanks alice!'], 'each message shown once, in order');
  t.deepEqual(await bob.locator('#chat-log li').allTextContents(), ['hi bob, nice clip', 'thanks alice!']);

  await bob.reload();
  await bob.locator('#live', { hasText: 'live' }).waitFor();
  await bob.locator('#notifications li').nth(1).waitFor();
  t.deepEqual(await notificationTexts(bob), [`alice_${suffix} followed you: you are friends`, `alice_${suffix} liked your video “orange clip”`], 'kept, and read');
  t.true(await bob.locator('#unread').isHidden());
  t.deepEqual(pageErrors, [], 'no script errors in either page');
});

test('someone who was away finds what happened meanwhile when they log in: the list and the unread badge', async (t) => {
  const api = client(t.context.server.baseUrl);
  const [carol, dave] = await Promise.all([api.newUser('carol'), api.newUser('dave')]);
  const videoId = await api.publish(carol.token, 'carol clip', await tinyVideo());
  await api.post('/douyin/relation/action/', { token: dave.token, to_user_id: carol.id, action_type: 1 });
  await api.post('/douyin/favorite/action/', { token: dave.token, video_id: videoId, action_type: 1 });
  await api.post('/douyin/comment/action/', { token: dave.token, video_id: videoId, action_type: 1, comment_text: 'welcome back' });

  const page = await signUp(t, carol.username, 'login');
  await page.locator('#unread', { hasText: /^3$/ }).waitFor();
  t.deepEqual(await notificationTexts(page), [
    `${dave.username} commented on “carol clip”: welcome back`,
    `${dave.username} liked your video “carol clip”`,
    `${dave.username} followed you`,
  ]);
  t.is(await page.locator('#notifications li.unread').count(), 3);
  await api.post('/douyin/comment/action/', { token: dave.token, video_id: videoId, action_type: 1, comment_text: 'live now' });
  await page.locator('#unread', { hasText: /^4$/ }).waitFor();
  t.is((await notificationTexts(page))[0], `${dave.username} commented on “carol clip”: live now`, 'pushed live on top');
  t.deepEqual(pageErrors, []);
});
