// The staff console in Debian's Chromium: sign-in, the queue, approving by keyboard, rejecting with
// a reason, the customer page, an admin's policy change taking effect for the customer's app, a
// failed webhook delivery sent again, and sign-out. Every page is checked and photographed at
// 1280 px and at 375 px.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  BASE_URL,
  DEMO,
  DESKTOP,
  PHONE,
  SIGNATURE,
  api,
  assertSelfContained,
  checkAndShoot,
  openBrowser,
  signIn,
  submit,
  tabTo,
} from './support.mjs';

const REVIEWER = 'e2e-reviewer';
const ADMIN = 'e2e-admin';
const [C1, C2, C3, C4] = DEMO.customers;
const ids = {};

/** Checks and photographs the current page at desktop and phone width. */
async function bothWidths(page, name) {
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await checkAndShoot(page, name);
  }
  await page.setViewportSize(DESKTOP);
}

before(async () => {
  // Customers' apps submit changes that the demo studio's policies queue for review.
  ids.address = await submit(C1, 'address-data', {
    street: 'Am Bahnhof', houseNumber: '90', zipCode: '12133', city: 'Munich', countryCode: 'DE',
  });
  ids.payment = await submit(C2, 'payment-data', {
    accountHolder: 'Anna Schmidt', bankName: 'Deutsche Bank', iban: 'DE91 1000 0000 0123 4567 89', bic: 'DEUTDEFFXXX',
    signature: { base64SvgSignature: SIGNATURE },
  });
  ids.firstPayment = await submit(C4, 'payment-data', {
    accountHolder: 'Mia Fischer', bankName: 'GLS Bank', iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX',
    signature: { base64SvgSignature: SIGNATURE },
  });
  ids.otherAddress = await submit(C3, 'address-data', {
    street: 'Friedrichstraße', houseNumber: '5', zipCode: '10117', city: 'Berlin', countryCode: 'DE',
  });
});

test('sign-in refuses a wrong password and then opens the review queue', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await page.goto(`${BASE_URL}/console/queue`);
    assert.match(page.url(), /\/console\/login$/, 'signed out, the queue sends to the sign-in page');
    await page.goto(`${BASE_URL}/console/login?tenant=${DEMO.tenantId}`);
    await bothWidths(page, 'login');

    await page.getByLabel('Username').fill(REVIEWER);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /studio number, username or password is wrong/);
    assert.equal(await page.getByLabel('Studio number').inputValue(), String(DEMO.tenantId), 'the studio is kept');

    await page.getByLabel('Password').fill(process.env.E2E_PASSWORD);
    await Promise.all([page.waitForURL(/\/console\/queue$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Review queue');
    assert.equal(await page.locator('#queue-count').innerText(), '4');
    const rows = await page.locator('table.queue tbody tr').count();
    assert.equal(rows, 4);
    const first = await page.locator('table.queue tbody tr').first().innerText();
    assert.match(first, new RegExp(`Review #${ids.address}`), 'oldest first');
    assert.match(first, /Sven Hannawald/);
    await bothWidths(page, 'queue');

    await page.getByLabel('Domain').selectOption('payment');
    await Promise.all([page.waitForURL(/domain=payment/), page.getByRole('button', { name: 'Show' }).click()]);
    assert.equal(await page.locator('table.queue tbody tr').count(), 2);
    assert.equal(await page.locator('#queue-count').innerText(), '2');
    assertSelfContained(b);
  } finally {
    await b.close();
  }
});

test('a reviewer approves an amendment with the keyboard and the customer has the new address', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await signIn(page, REVIEWER);
    await Promise.all([page.waitForURL(/\/console\/amendments\//), page.getByRole('link', { name: `Review #${ids.address}` }).click()]);
    assert.equal(await page.locator('tr.changed').count(), 4, 'street, house number, postal code and city change');
    assert.equal(await page.locator('tr[data-field="city"] td[data-label="Proposed"]').innerText(), 'Munich');
    assert.equal(await page.locator('tr[data-field="countryCode"]').getAttribute('class'), null, 'unchanged fields are not marked');
    await bothWidths(page, 'amendment');

    // Keyboard only: the skip link comes first, then Tab reaches the Approve button, Enter presses it.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to main content');
    await tabTo(page, 'form.approve button');
    await Promise.all([page.waitForURL(/done=approved/), page.keyboard.press('Enter')]);
    assert.match(await page.locator('#flash').innerText(), /Approved/);
    assert.match(await page.locator('#decided').innerText(), new RegExp(`Approved by ${REVIEWER} \\(staff\\)`));
    assert.equal(await page.locator('form.approve').count(), 0, 'no decision forms once decided');
    await bothWidths(page, 'amendment-approved');

    const address = await api('GET', `/v1/customers/${C1}/self-service/address-data`, DEMO.selfServiceKey);
    assert.equal(address.json.city, 'Munich');
    assert.equal(address.json.pendingAmendment ?? null, null);
    const amendment = await api('GET', `/api/v1/amendments/${ids.address}`, DEMO.staffKey);
    assert.equal(amendment.json.amendment.decidedBy, `staff:${REVIEWER}`);
    assertSelfContained(b);
  } finally {
    await b.close();
  }
});

test('a reviewer rejects a signed bank change, but only with a reason', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await signIn(page, REVIEWER);
    await page.goto(`${BASE_URL}/console/amendments/${ids.payment}`);
    const img = page.getByRole('img', { name: /signature/ });
    assert.equal(await img.getAttribute('src'), `/console/amendments/${ids.payment}/signature`);
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the signature image loads');
    assert.equal(await page.locator('main svg').count(), 0, 'the SVG is never inlined');
    assert.equal(await page.locator('tr[data-field="iban"] td[data-label="Proposed"]').innerText(), 'DE91 1000 0000 0123 4567 89');
    assert.equal(await page.locator('tr[data-field="iban"] td[data-label="Current"]').innerText(), 'DE****************3000');
    await bothWidths(page, 'amendment-signed');

    // The browser insists on a reason; so does the server when the browser's check is bypassed.
    const reason = page.getByLabel('Reason for rejecting');
    await page.getByRole('button', { name: 'Reject' }).click();
    assert.ok(await reason.evaluate((t) => t.validity.valueMissing));
    assert.match(page.url(), new RegExp(`/console/amendments/${ids.payment}$`));
    await reason.evaluate((t) => t.removeAttribute('required'));
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.locator('#reason-error').waitFor();
    assert.equal(await page.locator('#reason-error').innerText(), 'Write a reason the customer can read.');
    assert.equal(await reason.getAttribute('aria-invalid'), 'true');
    await bothWidths(page, 'amendment-reject-error');

    await reason.fill('The account holder does not match the customer.');
    await Promise.all([page.waitForURL(/done=rejected/), page.getByRole('button', { name: 'Reject' }).click()]);
    assert.match(await page.locator('#decided').innerText(), new RegExp(`Rejected by ${REVIEWER} \\(staff\\)`));
    assert.equal((await page.locator('blockquote.reason').textContent()).trim(), 'Reason: The account holder does not match the customer.');

    const amendment = await api('GET', `/api/v1/amendments/${ids.payment}`, DEMO.staffKey);
    assert.equal(amendment.json.amendment.state, 'rejected');
    assert.equal(amendment.json.amendment.rejectionReason, 'The account holder does not match the customer.');
    const payment = await api('GET', `/v1/customers/${C2}/self-service/payment-data`, DEMO.selfServiceKey);
    assert.equal(payment.json.iban, 'DE89 3704 0044 0532 0130 00', 'the bank details stay');
    assertSelfContained(b);
  } finally {
    await b.close();
  }
});

test("the customer page shows the four domains, the pending change and the history; IBANs in full only for admins", async () => {
  const reviewer = await openBrowser();
  const admin = await openBrowser();
  try {
    await signIn(reviewer.page, REVIEWER);
    const page = reviewer.page;
    await page.goto(`${BASE_URL}/console/customers`);
    await bothWidths(page, 'customers');
    await Promise.all([page.waitForURL(new RegExp(`/console/customers/${C2}$`)), page.getByRole('link', { name: 'Anna Schmidt' }).click()]);
    for (const heading of ['Contact details', 'Address', 'Personal data', 'Bank details']) {
      await page.getByRole('heading', { level: 2, name: heading }).waitFor();
    }
    assert.match(await page.locator('#domain-payment').innerText(), /DE\*{16}3000/);
    assert.match(await page.locator('#history').innerText(), new RegExp(`Amendment rejected · Bank details · amendment #${ids.payment}\\s+by ${REVIEWER} \\(staff\\)`));
    await page.goto(`${BASE_URL}/console/customers/${C3}`);
    assert.match(await page.locator('#domain-address').innerText(), new RegExp(`Pending amendment #${ids.otherAddress}`));
    await bothWidths(page, 'customer');

    await signIn(admin.page, ADMIN);
    await admin.page.goto(`${BASE_URL}/console/customers/${C2}`);
    assert.match(await admin.page.locator('#domain-payment').innerText(), /DE89 3704 0044 0532 0130 00/);
    assertSelfContained(reviewer);
    assertSelfContained(admin);
  } finally {
    await reviewer.close();
    await admin.close();
  }
});

test('a wealth-management customer and a partner root read in words and fit a phone screen', async () => {
  const saved = await api('PUT', `/api/v1/customers/${C4}/wealth-profile`, DEMO.adminKey, {
    status: 'active', referenceCurrency: 'CHF', openingDate: '2018-04-13',
    primaryPerson: { language: 'German', personDetails: { personType: 'naturalPerson', civilStatus: 'married' } },
    kyc: { financialSituation: { monetaryWealth: { currency: 'CHF', amount: '1000000' } } },
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  // A long address with no place to break, in the data and in the history.
  const email = 'mia.fischer.membership.and.billing.correspondence@fitness-studio-example.com';
  await submit(C4, 'contact-data', { email });
  const b = await openBrowser(PHONE);
  try {
    const { page } = b;
    await signIn(page, REVIEWER);
    await page.goto(`${BASE_URL}/console/customers/${C4}`);
    const history = await page.locator('#history').innerText();
    assert.match(history, /Wealth profile saved/);
    assert.match(history, /Profile › Status:\s+from\s+not set →\s+to\s+active/);
    assert.match(history, /KYC › Financial situation › Monetary wealth › Amount/);
    assert.doesNotMatch(history, /[{}"]|wealth\.profile|financialSituation/, 'no codes or JSON in the history');
    const width = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(width[0] <= width[1], `the customer page scrolls sideways at 375 px: ${width[0]} > ${width[1]}`);
    await checkAndShoot(page, 'customer-wealth');

    await page.goto(`${BASE_URL}/console/customers/${process.env.PARTNER_ROOT_ID}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), `Acme IoT Connectivity Services #${process.env.PARTNER_ROOT_ID}`);
    const profile = await page.locator('#partner').innerText();
    assert.match(profile, /The root of a partner hierarchy/);
    assert.match(profile, /Status\s+Active/);
    assert.match(profile, /Currency\s+EUR/);
    await bothWidths(page, 'customer-partner');
    await page.goto(`${BASE_URL}/console/customers`);
    await page.getByRole('link', { name: 'Acme IoT Connectivity Services' }).waitFor();
    assertSelfContained(b);
  } finally {
    await b.close();
  }
});

test("an admin's policy change takes effect for the customer's app at once; reviewers cannot open settings", async () => {
  const reviewer = await openBrowser();
  const admin = await openBrowser();
  try {
    await signIn(reviewer.page, REVIEWER);
    assert.equal(await reviewer.page.getByRole('link', { name: 'Settings' }).count(), 0);
    const refused = await reviewer.page.goto(`${BASE_URL}/console/settings`);
    assert.equal(refused.status(), 403);
    assert.match(await reviewer.page.locator('main').innerText(), /Only admins can open the settings/);
    await bothWidths(reviewer.page, 'forbidden');

    const page = admin.page;
    await signIn(page, ADMIN);
    await Promise.all([page.waitForURL(/\/console\/settings$/), page.getByRole('link', { name: 'Settings' }).click()]);
    assert.equal(await page.getByLabel('Personal data').inputValue(), 'READ');
    assert.ok(await page.getByLabel("Require the customer's signature").isChecked());
    await bothWidths(page, 'settings');

    let before = await api('POST', `/v1/customers/${C1}/self-service/master-data`, DEMO.selfServiceKey, {
      firstName: 'Sven', lastName: 'Hannawald-Berg', gender: 'MALE', dateOfBirth: '1974-11-09', customerTitle: 'NONE',
    });
    assert.equal(before.status, 403, 'personal data is read-only at first');

    await page.getByLabel('Personal data').selectOption('CHANGES_REQUIRE_VERIFICATION');
    await Promise.all([page.waitForURL(/saved=master$/), page.getByRole('button', { name: 'Save policies' }).click()]);
    assert.equal(await page.getByRole('status').innerText(), 'Saved: Personal data.');
    assert.equal(await page.getByLabel('Personal data').inputValue(), 'CHANGES_REQUIRE_VERIFICATION');

    const got = await api('GET', `/v1/customers/${C1}/self-service/master-data`, DEMO.selfServiceKey);
    assert.equal(got.json.amendmentConfigurationStatus, 'CHANGES_REQUIRE_VERIFICATION');
    const posted = await api('POST', `/v1/customers/${C1}/self-service/master-data`, DEMO.selfServiceKey, {
      firstName: 'Sven', lastName: 'Hannawald-Berg', gender: 'MALE', dateOfBirth: '1974-11-09', customerTitle: 'NONE',
    });
    assert.equal(posted.status, 200, JSON.stringify(posted.json));
    await page.goto(`${BASE_URL}/console/queue?domain=master`);
    assert.match(await page.locator('table.queue').innerText(), new RegExp(`Review #${posted.json.id}`));
    assertSelfContained(reviewer);
    assertSelfContained(admin);
  } finally {
    await reviewer.close();
    await admin.close();
  }
});

test('an admin sees a failed webhook delivery and sends it again', async () => {
  let answer = 503;
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ status: answer, body });
      res.writeHead(answer).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const b = await openBrowser();
  try {
    const url = `http://127.0.0.1:${receiver.address().port}/hooks/custodian`;
    const sub = await api('POST', '/api/v1/webhooks', DEMO.adminKey, { url, eventTypes: ['customer.updated'] });
    assert.equal(sub.status, 201, JSON.stringify(sub.json));
    await submit(C3, 'contact-data', { email: 'lukas.weber@example.org' });

    const page = b.page;
    await signIn(page, ADMIN);
    await page.goto(`${BASE_URL}/console/settings`);
    await Promise.all([page.waitForURL(/\/console\/settings\/webhooks\//), page.getByRole('link', { name: url }).click()]);
    const row = page.locator('table.deliveries tbody tr').first();
    for (let i = 0; i < 50 && !/HTTP 503/.test(await row.innerText().catch(() => '')); i++) {
      await page.waitForTimeout(200);
      await page.reload();
    }
    assert.match(await row.innerText(), /customer\.updated[\s\S]*HTTP 503/);
    await bothWidths(page, 'webhook');

    answer = 200;
    await Promise.all([page.waitForURL(/replayed=1/), row.getByRole('button', { name: /Send again/ }).click()]);
    assert.equal(await page.locator('#flash').innerText(), 'One delivery will be sent again now.');
    for (let i = 0; i < 50 && !/succeeded/.test(await row.innerText()); i++) {
      await page.waitForTimeout(200);
      await page.reload();
    }
    assert.match(await row.innerText(), /succeeded[\s\S]*HTTP 200/);
    assert.ok(received.some((r) => r.status === 200 && r.body.includes('"customer.updated"')));
    assertSelfContained(b);
  } finally {
    await b.close();
    receiver.close();
  }
});

test('the queue badge follows new amendments without a reload', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await page.clock.install();
    await signIn(page, REVIEWER);
    const badge = page.locator('#pending-count');
    const before = Number(await badge.innerText());
    await submit(C2, 'address-data', { street: 'Seestraße', houseNumber: '3', zipCode: '13353', city: 'Berlin', countryCode: 'DE' });
    assert.equal(Number(await badge.innerText()), before, 'nothing changes by itself before the next poll');
    const polled = page.waitForResponse((r) => r.url().endsWith('/console/queue/count') && r.status() === 200);
    await page.clock.fastForward(31_000);
    await polled;
    await page.waitForFunction((n) => document.querySelector('#pending-count').textContent.trim() === String(n), before + 1);
    assertSelfContained(b);
  } finally {
    await b.close();
  }
});

test('signing out ends the session', async () => {
  const b = await openBrowser(PHONE);
  try {
    const { page } = b;
    await signIn(page, REVIEWER);
    await Promise.all([page.waitForURL(/signed_out=1/), page.getByRole('button', { name: 'Sign out' }).click()]);
    assert.equal(await page.getByRole('status').innerText(), 'You are signed out.');
    await page.goto(`${BASE_URL}/console/amendments/${ids.firstPayment}`);
    assert.match(page.url(), /\/console\/login\?next=%2Fconsole%2Famendments%2F/);
    // Signing in again returns to the page that asked for it.
    await page.getByLabel('Studio number').fill(String(DEMO.tenantId));
    await page.getByLabel('Username').fill(REVIEWER);
    await page.getByLabel('Password').fill(process.env.E2E_PASSWORD);
    await Promise.all([page.waitForURL(new RegExp(`/console/amendments/${ids.firstPayment}$`)), page.getByRole('button', { name: 'Sign in' }).click()]);
    assertSelfContained(b);
  } finally {
    await b.close();
  }
});
