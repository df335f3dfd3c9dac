import { mkdir, readFile, rm } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../server/paths.js';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { decodeImage, fixtureDir, makeVideo, slowCoverFfmpeg, tinyVideo } from './helpers/media.js';
import { lineMatching, startServer } from './helpers/server.js';
import { startStack, type Stack } from './helpers/stack.js';

/**
 * The web console end to end: real browser sessions (Debian's Chromium driven by playwright-core)
 * against a real server: a visitor's feed, publishing with a progress bar, people seeing each other's
 * likes, follows and chat messages live, and the notifications kept while they were away. Each step
 * leaves a screenshot in test-output/console/ for a reviewer.
 */
const test = anyTest.serial as TestFn<Stack & { browser: Browser }>;

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-output/console');

/**
 * This machine's address as another computer browses to it: plain http there is not "potentially
 * trustworthy" to the browser as localhost is, so policies such as upgrade-insecure-requests bite.
 */
const address = Object.values(networkInterfaces()).flat().find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address ?? '127.0.0.1';

test.before(async (t) => {
  await rm(SCREENSHOTS, { recursive: true, force: true });
  await mkdir(SCREENSHOTS, { recursive: true });
  const stack = await startStack('console', { HOST: '0.0.0.0', PATH: `${await slowCoverFfmpeg()}:${process.env.PATH}` });
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

async function screenshot(page: Page, step: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${step}.png`), fullPage: true });
}

/** A new browser session on the console, signed in to nobody. */
async function visit(t: { context: Stack & { browser: Browser } }, name: string): Promise<Page> {
  const page = await (await t.context.browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  await page.goto(`http://${address}:${new URL(t.context.server.baseUrl).port}/`);
  return page;
}

/** A new browser session that registers (or logs in as) `name` with the password the API helper uses too. */
async function signUp(t: { context: Stack & { browser: Browser } }, name: string, action: 'register' | 'login' = 'register'): Promise<Page> {
  const page = await visit(t, name);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', 'correct-horse');
  await page.click(`button[value=${action}]`);
  await page.locator('#live', { hasText: /^live$/ }).waitFor();
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
  poster: string;
  error: { code: number } | null;
  addEventListener(type: string, listener: (...args: unknown[]) => void, options?: { once: boolean }): void;
}

/** Waits until the card's player has loaded the clip's metadata; its duration in seconds. */
async function playableSeconds(page: Page, title: string): Promise<number> {
  const video = page.locator('article.video', { hasText: title }).locator('video');
  await video.evaluate((node) => new Promise((resolve, reject) => {
    const element = node as unknown as VideoElement;
    if (element.readyState >= 1) return resolve(undefined);
    element.addEventListener('loadedmetadata', resolve, { once: true });
    element.addEventListener('error', () => reject(new Error(`video error ${element.error?.code}`)), { once: true });
  }));
  return video.evaluate((node) => (node as unknown as VideoElement).duration);
}

test('a visitor without an account sees the feed, filled by itself as videos arrive, and plays a video', async (t) => {
  t.log(`screenshots: ${SCREENSHOTS}`);
  const page = await visit(t, 'visitor');
  await page.locator('#feed .empty').waitFor(); // the first test: no videos yet, as during a first start
  await screenshot(page, '1-visitor-empty-feed');
  const api = client(t.context.server.baseUrl);
  const author = await api.newUser('author');
  await api.publish(author.token, 'for every visitor', await tinyVideo());

  await page.locator('article.video', { hasText: 'for every visitor' }).waitFor({ timeout: 10_000 });
  t.true(await playableSeconds(page, 'for every visitor') > 0.2, 'the player loads the real clip');
  t.true(await page.locator('#auth-form').isVisible(), 'the way in is offered');
  t.true(await page.locator('#account').isHidden(), 'publishing, notifications and chat need an account');
  t.is(await page.locator('article.video button.like').count(), 0);
  await screenshot(page, '2-visitor-feed');
  t.deepEqual(pageErrors, []);
});

test('publishing from the console shows the upload progress, then the video on top of the feed, then its cover, without a reload', async (t) => {
  const page = await signUp(t, `erin_${Math.random().toString(36).slice(2, 7)}`);
  const clip = await makeVideo(path.join(await fixtureDir(), 'grainy.mp4'), { color: 'orange', seconds: 2, size: '640x360', grain: 40 });
  const bytes = (await readFile(clip)).length;
  // About three seconds of upload, so that the bar has something to show.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytes / 3 });
  await page.evaluate(`(() => {
    window.sameDocument = true;
    window.progressSeen = [];
    const bar = document.querySelector('#upload-progress');
    new MutationObserver(() => window.progressSeen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
  })()`);

  await page.fill('#publish-form input[name=title]', 'grainy orange');
  await page.setInputFiles('#publish-form input[name=data]', clip);
  await page.click('#publish-form button');
  await page.locator('#upload-status', { hasText: /Uploading [1-9]\d?%/ }).waitFor();
  await screenshot(page, '3-publish-uploading');
  await page.locator('#upload-status', { hasText: 'Published' }).waitFor({ timeout: 20_000 });
  const seen = await page.evaluate<number[]>('window.progressSeen');
  t.true(seen.some((value) => value > 0 && value < 100), `the bar moved through the upload: ${seen.join(', ')}`);
  t.is(seen.at(-1), 100);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  const card = page.locator('#feed article.video').first();
  await card.locator('strong', { hasText: 'grainy orange' }).waitFor();
  await page.locator('#feed article.video[data-cover="pending"]', { hasText: 'grainy orange' }).waitFor();
  await screenshot(page, '4-publish-cover-pending');
  await page.locator('#feed article.video[data-cover="made"]', { hasText: 'grainy orange' }).waitFor({ timeout: 20_000 });
  t.true(await playableSeconds(page, 'grainy orange') > 1.5);
  const poster = await card.locator('video').evaluate((node) => (node as unknown as VideoElement).poster);
  const cover = await decodeImage(Buffer.from(await (await fetch(poster)).arrayBuffer()), await fixtureDir());
  t.deepEqual([cover.width, cover.height], [640, 360], 'the poster is a frame of the clip, not the placeholder');
  const [red, green, blue] = cover.rgb as [number, number, number];
  t.true(red > 200 && green > 120 && green < 210 && blue < 90, `orange: ${cover.rgb.join(',')}`);
  await screenshot(page, '5-publish-cover-made');
  t.true(await page.evaluate<boolean>('window.sameDocument === true'), 'no reload');
  t.deepEqual(pageErrors, []);
});

test('a clip that needs processing: the console shows its progress, then plays it from its HLS renditions', async (t) => {
  const page = await signUp(t, `hana_${Math.random().toString(36).slice(2, 7)}`);
  // HEVC, as an iPhone records: processed after the publish answer (its MP4 takes longer than the answer's wait for the cover).
  const clip = await makeClip(await fixtureDir(), 'hevc', { seconds: 6, size: '1280x720' });
  const hlsRequests: string[] = [];
  page.on('request', (request) => {
    if (/\/media\/hls\/\d+\/[^/]+\.(m3u8|ts)$/.test(new URL(request.url()).pathname)) hlsRequests.push(new URL(request.url()).pathname);
  });
  await page.evaluate(`(() => {
    window.statusesSeen = [];
    const status = document.querySelector('#upload-status');
    new MutationObserver(() => window.statusesSeen.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
  })()`);
  await page.fill('#publish-form input[name=title]', 'phone clip in hevc');
  await page.setInputFiles('#publish-form input[name=data]', clip.file);
  await page.click('#publish-form button');
  await page.locator('#upload-status', { hasText: /Published: processing \d+%|playing its HLS stream/ }).waitFor({ timeout: 20_000 });
  await screenshot(page, '5b-publish-processing');
  await page.locator('#upload-status', { hasText: /playing its HLS stream|Not published/ }).waitFor({ timeout: 60_000 });
  const statuses = await page.evaluate<string[]>('window.statusesSeen');
  t.log(statuses);
  t.true(statuses.some((text) => /^Published: processing [1-9]\d?%$/.test(text)), 'the processing was shown as it went');
  t.is(statuses.at(-1), 'Published: ready, playing its HLS stream');
  const player = page.locator('#published');
  const playedSeconds = () => player.evaluate((node) => (node as unknown as { currentTime: number }).currentTime);
  for (const deadline = Date.now() + 20_000; (await playedSeconds()) <= 1 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 200));
  t.true(await playedSeconds() > 1, 'it plays');
  t.log(`played by ${await player.getAttribute('data-via')}:`, hlsRequests);
  t.true(hlsRequests.some((request) => request.endsWith('/master.m3u8')) && hlsRequests.some((request) => request.endsWith('.ts')), 'the player read the master playlist and segments');
  t.true(await page.locator('#feed article.video', { hasText: 'phone clip in hevc' }).isVisible(), 'on top of the feed once it plays');
  await screenshot(page, '5c-publish-playing-hls');

  // This Chromium plays HLS itself; browsers that do not (Firefox) get hls.js: the same stream through it.
  const masterUrl = await player.evaluate((node) => (node as unknown as { src: string }).src);
  const via = await page.evaluate<string>(`(async () => {
    const { playHls } = await import('/console/player.js');
    const video = Object.assign(document.createElement('video'), { id: 'without-native-hls', muted: true, controls: true, canPlayType: () => '' });
    document.querySelector('#published').after(video);
    const via = await playHls(video, ${JSON.stringify(masterUrl)});
    await video.play();
    return via;
  })()`);
  t.is(via, 'hls.js');
  const forced = page.locator('#without-native-hls');
  const forcedSeconds = () => forced.evaluate((node) => (node as unknown as { currentTime: number }).currentTime);
  for (const deadline = Date.now() + 20_000; (await forcedSeconds()) <= 1 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 200));
  t.true(await forcedSeconds() > 1, 'hls.js plays it');
  t.deepEqual(pageErrors, []);
});

test('two people like, follow and chat in the console and each sees the other live', async (t) => {
  const suffix = Math.random().toString(36).slice(2, 7);
  const alice = await signUp(t, `alice_${suffix}`);
  const bob = await signUp(t, `bob_${suffix}`);
  t.regex(await alice.textContent('#whoami') ?? '', /alice_/);
  const api = client(t.context.server.baseUrl);

  // Bob has a video (published through the API, as the app would); Alice finds it in her feed.
  const clip = await readFile(await makeVideo(path.join(await fixtureDir(), 'clip.webm'), { color: 'orange', seconds: 1 }));
  await api.publish((await sessionOf(bob)).token, 'orange clip', clip);
  await alice.click('#refresh-feed');
  const card = alice.locator('article.video', { hasText: 'orange clip' });
  await card.waitFor();
  t.true(await playableSeconds(alice, 'orange clip') > 0.5, 'the player loads the real clip');

  await card.locator('button.like').click();
  await bob.locator('#notifications li', { hasText: /alice_\w+ liked your video/ }).waitFor();
  await card.locator('.likes', { hasText: /^1 likes$/ }).waitFor(); // Bob's push may come before Alice's own answer

  await card.locator('button.follow').click();
  const followed = bob.locator('#notifications li', { hasText: /alice_\w+ followed you/ });
  await followed.waitFor();
  await followed.locator('button.follow').click(); // follow back: now they are friends
  await alice.locator('#notifications li', { hasText: /bob_\w+ followed you: you are friends/ }).waitFor();

  // The badge counts what Bob has not read; marking read clears it.
  await bob.locator('#unread', { hasText: /^2$/ }).waitFor();
  t.is(await bob.locator('#notifications li.unread').count(), 2);
  await screenshot(bob, '6-notifications-unread');
  await bob.click('#mark-read');
  await bob.locator('#unread').waitFor({ state: 'hidden' });
  t.is(await bob.locator('#notifications li.unread').count(), 0);

  // What they wrote before either opened the chat is its history.
  const [aliceSession, bobSession] = [await sessionOf(alice), await sessionOf(bob)];
  const say = (from: { token: string }, to: { id: number }, content: string) =>
    api.post('/douyin/message/action/', { token: from.token, to_user_id: to.id, action_type: 1, content });
  await say(bobSession, aliceSession, 'are you there?');
  await say(aliceSession, bobSession, 'yes: hello');

  await alice.locator('#friends li', { hasText: /bob_/ }).click();
  await alice.locator('#chat-log li', { hasText: 'yes: hello' }).waitFor();
  await bob.click('#refresh-friends');
  await bob.locator('#friends li', { hasText: /alice_/ }).click();
  await bob.locator('#chat-log li', { hasText: 'yes: hello' }).waitFor();
  await alice.fill('#chat-form input', 'hi bob, nice clip');
  await alice.click('#chat-form button');
  await bob.locator('#chat-log li', { hasText: 'hi bob, nice clip' }).waitFor();
  await bob.fill('#chat-form input', 'thanks alice!');
  await bob.press('#chat-form input', 'Enter');
  await alice.locator('#chat-log li', { hasText: 'thanks alice!' }).waitFor();
  await bob.locator('#chat-log li', { hasText: 'thanks alice!' }).waitFor(); // shown on its ack, which may come after Alice's push
  const conversation = ['are you there?', 'yes: hello', 'hi bob, nice clip', 'thanks alice!'];
  t.deepEqual(await alice.locator('#chat-log li').allTextContents(), conversation, 'the history, then each live message once, in order');
  t.deepEqual(await bob.locator('#chat-log li').allTextContents(), conversation);
  await screenshot(alice, '7-chat');

  await bob.reload();
  await bob.locator('#live', { hasText: /^live$/ }).waitFor();
  await bob.locator('#notifications li').nth(1).waitFor();
  t.deepEqual(await notificationTexts(bob), [`alice_${suffix} followed you: you are friends`, `alice_${suffix} liked your video “orange clip”`], 'kept, and read');
  t.true(await bob.locator('#unread').isHidden());
  t.deepEqual(pageErrors, [], 'no script errors in either page');
});

test('two friends in the console: unread badges, the online dot, typing, and "Seen" under the last message read', async (t) => {
  const suffix = Math.random().toString(36).slice(2, 7);
  const alice = await signUp(t, `alice_${suffix}`);
  const bob = await signUp(t, `bob_${suffix}`);
  const [aliceSession, bobSession] = [await sessionOf(alice), await sessionOf(bob)];
  const api = client(t.context.server.baseUrl);
  await api.post('/douyin/relation/action/', { token: aliceSession.token, to_user_id: bobSession.id, action_type: 1 });
  await api.post('/douyin/relation/action/', { token: bobSession.token, to_user_id: aliceSession.id, action_type: 1 });
  const friendOn = (page: Page, name: RegExp) => page.locator('#friends li', { hasText: name });
  await alice.click('#refresh-friends');
  await bob.click('#refresh-friends');
  await friendOn(bob, /alice_/).locator('.dot.online').waitFor();

  // Messages Bob has not read are counted on Alice's entry as they arrive, without a reload.
  for (const content of ['one', 'two', 'three']) await api.post('/douyin/message/action/', { token: aliceSession.token, to_user_id: bobSession.id, action_type: 1, content });
  await friendOn(bob, /alice_/).locator('.badge', { hasText: /^3$/ }).waitFor();
  await screenshot(bob, '8-unread-badge');

  // Alice has the chat open; Bob opens his: the badge clears, and Alice sees her last message seen.
  await friendOn(alice, /bob_/).click();
  await alice.locator('#chat-log li', { hasText: 'three' }).waitFor();
  t.is(await alice.locator('#chat-log li.seen').count(), 0, 'nothing is seen before Bob opens the chat');
  await friendOn(bob, /alice_/).click();
  await bob.locator('#chat-log li', { hasText: 'three' }).waitFor();
  t.true(await friendOn(bob, /alice_/).locator('.badge').isHidden());
  await alice.locator('#chat-log li.seen', { hasText: 'three' }).waitFor();

  // Bob types: Alice sees it, until his message arrives.
  await bob.locator('#chat-form input').pressSequentially('on my way', { delay: 20 });
  await alice.locator('#typing', { hasText: /bob_\w+ is typing/ }).waitFor();
  await screenshot(alice, '9-typing-seen');
  await bob.press('#chat-form input', 'Enter');
  await alice.locator('#chat-log li', { hasText: 'on my way' }).waitFor();
  t.true(await alice.locator('#typing').isHidden(), 'a message from the typist ends the typing line');
  await bob.locator('#chat-log li.seen', { hasText: 'on my way' }).waitFor(); // Alice's open chat read it at once

  // Bob leaves: Alice's dot for him goes out.
  await bob.context().close();
  await friendOn(alice, /bob_/).locator('.dot:not(.online)').waitFor();
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
  await screenshot(page, '8-notifications-after-away');
  t.deepEqual(pageErrors, []);
});

test('a visitor whose feed did not load (the store frozen) is told why, and the page looks again by itself until it loads', async (t) => {
  const { store, api } = t.context;
  const author = await api.newUser('patient');
  await api.publish(author.token, 'worth the wait', await tinyVideo());
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // the feed's cached head has expired
  process.kill(store.pid!, 'SIGSTOP');
  t.teardown(() => process.kill(store.pid!, 'SIGCONT'));
  const page = await visit(t, 'patient visitor');
  await page.locator('#feed .empty', { hasText: 'did not load' }).waitFor({ timeout: 20_000 });
  process.kill(store.pid!, 'SIGCONT');
  await page.locator('article.video', { hasText: 'worth the wait' }).waitFor({ timeout: 20_000 });
  t.is(await page.locator('#feed .empty').count(), 0);
});

test('a first start shows a newcomer the demo world: the feed plays for a visitor, and the demo login has friends, chats and notifications', async (t) => {
  const server = await startServer({ HOST: '0.0.0.0', DEMO_WORLD: 'on' });
  t.teardown(() => server.stop());
  const page = await (await t.context.browser.newContext()).newPage();
  page.on('pageerror', (error) => pageErrors.push(`newcomer: ${error.message}`));
  await page.goto(`http://${address}:${new URL(server.baseUrl).port}/`);
  await page.locator('article.video', { hasText: 'Seed clip #1' }).waitFor({ timeout: 60_000 }); // looked again by itself
  t.true(await playableSeconds(page, 'Seed clip #1') > 2);
  await screenshot(page, 'first-run-1-visitor');

  await lineMatching(server, /demo world ready/, 120_000);
  await page.fill('input[name=username]', 'seed_001');
  await page.fill('input[name=password]', 'seed-password');
  await page.click('button[value=login]');
  await page.locator('#live', { hasText: /^live$/ }).waitFor();
  await page.locator('#friends li', { hasText: 'seed_002' }).click();
  await page.locator('#chat-log li').nth(3).waitFor();
  t.deepEqual(await page.locator('#chat-log li').allTextContents(), [1, 2, 3, 4].map((n) => `Hello #${n} from seed`));
  t.true(await page.locator('#notifications li').count() > 0);
  await screenshot(page, 'first-run-2-demo-login');
  t.deepEqual(pageErrors, []);
});
