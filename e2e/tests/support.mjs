// Shared pieces of the console's browser tests: launching Debian's Chromium with a fresh profile,
// signing in, calling Custodian's APIs to set up data, and page checks every page must pass
// (labels on every control, no horizontal scrolling, nothing loaded from another origin).

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE_URL = required('BASE_URL');
export const PASSWORD = required('E2E_PASSWORD');
export const DEMO = JSON.parse(readFileSync(required('DEMO_KEYS'), 'utf8')).tenants[0];
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with bash e2e/run.sh`);
  return v;
}

/**
 * A browser with its own fresh profile (so its own cookies). Records every request and every
 * console error of its pages; `close()` removes the profile.
 */
export async function openBrowser(viewport = DESKTOP) {
  const profile = mkdtempSync(join(tmpdir(), 'custodian-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: LAUNCH_ARGS,
    viewport,
  });
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  context.on('page', (p) => watch(p, errors));
  for (const p of context.pages()) watch(p, errors);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    requests,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Pages that answer 401, 403, 404, 409 or 422 on purpose (a refused sign-in, a reviewer on the
// settings page, a form sent back with an error) make Chromium log their status; nothing else may.
const EXPECTED_STATUS = /^Failed to load resource: the server responded with a status of (401|403|404|409|422)\b/;

function watch(page, errors) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !EXPECTED_STATUS.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
}

/** Signs in through the sign-in form and waits for the queue. */
export async function signIn(page, username, password = PASSWORD) {
  await page.goto(`${BASE_URL}/console/login?tenant=${DEMO.tenantId}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL(/\/console\/queue/), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Calls Custodian's HTTP API with a key; the parsed JSON (or null) and the status. */
export async function api(method, path, key, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { 'X-API-KEY': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Submits a self-service change as the customer's app would; the amendment id. */
export async function submit(customer, segment, body) {
  const r = await api('POST', `/v1/customers/${customer}/self-service/${segment}`, DEMO.selfServiceKey, body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.id;
}

export const SIGNATURE = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">' +
    '<path d="M10 70 C 40 10, 70 90, 100 50 S 160 20, 190 60 S 250 80, 290 30" stroke="#1d2430" stroke-width="3" fill="none"/>' +
    '</svg>',
).toString('base64');

/** Checks that every page must pass, then saves a screenshot `<name>-<width>.png`. */
export async function checkAndShoot(page, name) {
  await page.waitForLoadState('load');
  const report = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('input, select, textarea, button')].filter(
      (el) => el.type !== 'hidden' && el.offsetParent !== null,
    );
    const unlabelled = controls
      .filter((el) => {
        if (el.tagName === 'BUTTON') return !el.textContent.trim() && !el.getAttribute('aria-label');
        return el.labels.length === 0 && !el.getAttribute('aria-label');
      })
      .map((el) => el.outerHTML);
    const imagesWithoutAlt = [...document.images].filter((i) => !i.hasAttribute('alt')).map((i) => i.outerHTML);
    return {
      unlabelled,
      imagesWithoutAlt,
      h1: document.querySelectorAll('h1').length,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      lang: document.documentElement.lang,
      title: document.title,
    };
  });
  assert.deepEqual(report.unlabelled, [], `${name}: controls without a label`);
  assert.deepEqual(report.imagesWithoutAlt, [], `${name}: images without alt text`);
  assert.equal(report.h1, 1, `${name}: one h1`);
  assert.ok(report.overflow <= 0, `${name}: scrolls sideways by ${report.overflow}px at ${page.viewportSize().width}px`);
  assert.equal(report.lang, 'en');
  assert.match(report.title, /Custodian console$/);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${page.viewportSize().width}.png`), fullPage: true });
}

/** Every request went to the console's own origin, and no page logged an error (CSP included). */
export function assertSelfContained(browser) {
  const foreign = browser.requests.filter((u) => !u.startsWith(BASE_URL) && !u.startsWith('data:') && u !== 'about:blank');
  assert.deepEqual(foreign, [], 'requests to other origins');
  assert.deepEqual(browser.errors, [], 'errors in the browser console');
}

/** Presses Tab until the element matching `selector` has focus (at most `max` presses). */
export async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${selector} was not reached with the Tab key`);
}
