// The user at the browser, for the `sasl oauth` end-to-end tests: headless Chromium
// driven through ChromeDriver (W3C WebDriver over HTTP, spoken with fetch) through the
// development login and consent pages of provider.mjs. See README.md.
//
//   node browser.mjs code --url AUTHORIZATION_URL --login LOGIN --password PW --until PREFIX [--deny]
//       logs in, grants (or with --deny cancels) on the consent page, waits until the
//       browser is at a URL starting with PREFIX and prints that URL.
//   node browser.mjs device --url VERIFICATION_URI_COMPLETE --login LOGIN --password PW
//       confirms the user code, logs in, consents, waits for the success page and
//       prints `approved`.
//
// Exits non-zero with a message (and the page's text) on stderr when a step fails.
// The whole run is bounded (60 s); the session and chromedriver are always ended.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const CHROMEDRIVER = process.env.SASL_CHROMEDRIVER || '/usr/bin/chromedriver';
const CHROMIUM = process.env.SASL_CHROMIUM || '/usr/bin/chromium';
const OVERALL_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 20_000;
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

class StepError extends Error {}

function fail(message) {
  throw new StepError(message);
}

let args;
let mode;
try {
  const parsed = parseArgs({
    options: {
      url: { type: 'string' },
      login: { type: 'string', default: 'alice@example.test' },
      password: { type: 'string', default: 'x' },
      until: { type: 'string' },
      deny: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  args = parsed.values;
  [mode] = parsed.positionals;
  if (parsed.positionals.length !== 1 || !['code', 'device'].includes(mode)) {
    throw new Error('the first argument must be `code` or `device`');
  }
  if (!args.url) throw new Error('--url is required');
  if (mode === 'code' && !args.until) throw new Error('code: --until PREFIX is required');
  if (mode === 'device' && (args.until || args.deny)) throw new Error('device: no --until or --deny');
} catch (err) {
  process.stderr.write(`browser.mjs: ${err.message}\n`);
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let driver;
let driverLog = '';
let base;
let sessionId;
let profile;

async function wd(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = json?.value?.error ?? `HTTP ${response.status}`;
    const err = new Error(`WebDriver ${method} ${path}: ${error}: ${json?.value?.message ?? ''}`.trim());
    err.webdriverError = error;
    throw err;
  }
  return json.value;
}

const s = (path) => `/session/${sessionId}${path}`;

async function startBrowser() {
  const port = await freePort();
  driver = spawn(CHROMEDRIVER, [`--port=${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  driver.stdout.on('data', (chunk) => { driverLog += chunk; });
  driver.stderr.on('data', (chunk) => { driverLog += chunk; });
  const spawned = new Promise((resolve, reject) => {
    driver.once('spawn', resolve);
    driver.once('error', (err) => reject(new StepError(`cannot start ${CHROMEDRIVER}: ${err.message}`)));
  });
  await spawned;
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const status = await wd('GET', '/status');
      if (status?.ready) break;
    } catch {
      // not listening yet
    }
    if (driver.exitCode !== null) fail(`chromedriver exited (${driver.exitCode}): ${driverLog}`);
    if (Date.now() > deadline) fail(`chromedriver not ready after 15 s: ${driverLog}`);
    await sleep(100);
  }
  profile = mkdtempSync(join(tmpdir(), 'sasl-oidc-chromium-'));
  const session = await wd('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        browserName: 'chrome',
        pageLoadStrategy: 'eager',
        'goog:chromeOptions': {
          binary: CHROMIUM,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-dev-shm-usage',
            // Loopback test servers with a certificate the test made.
            '--ignore-certificate-errors',
            // The dev pages @import a web font: fail every name but loopback at once
            // instead of waiting on a closed network.
            '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
            `--user-data-dir=${profile}`,
          ],
        },
      },
    },
  });
  sessionId = session.sessionId;
  await wd('POST', s('/timeouts'), { pageLoad: STEP_TIMEOUT_MS, script: 10_000, implicit: 0 });
}

async function stopBrowser() {
  if (sessionId) {
    try {
      await fetch(`${base}${s('')}`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) });
    } catch {
      // chromedriver is killed below anyway
    }
    sessionId = undefined;
  }
  if (driver && driver.exitCode === null) {
    try {
      process.kill(-driver.pid, 'SIGTERM');
    } catch {
      driver.kill('SIGTERM');
    }
  }
  if (profile) {
    try {
      rmSync(profile, { recursive: true, force: true });
    } catch {
      // a leftover temp dir is harmless
    }
  }
}

async function currentUrl() {
  return wd('GET', s('/url'));
}

async function find(css) {
  try {
    const found = await wd('POST', s('/elements'), { using: 'css selector', value: css });
    return found.map((el) => el[ELEMENT]);
  } catch (err) {
    if (err.webdriverError === 'no such window') throw err;
    return [];
  }
}

// Waits until `css` matches on the current page (or `done()` says to stop looking).
async function waitFor(what, css, done) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const found = await find(css);
    if (found.length > 0) return found[0];
    if (done && await done()) return undefined;
    if (Date.now() > deadline) fail(`timed out waiting for ${what} (${css})`);
    await sleep(150);
  }
}

async function script(source) {
  return wd('POST', s('/execute/sync'), { script: source, args: [] });
}

async function title() {
  try {
    return await script('return document.title');
  } catch {
    return '';
  }
}

async function type(element, text) {
  await wd('POST', s(`/element/${element}/clear`), {});
  await wd('POST', s(`/element/${element}/value`), { text });
}

async function click(element) {
  await wd('POST', s(`/element/${element}/click`), {});
}

const LOGIN_FORM = 'form input[name=prompt][value=login]';
const CONSENT_FORM = 'form input[name=prompt][value=consent]';

// The development login page: any login, any password.
async function logIn() {
  await waitFor('the login page', LOGIN_FORM);
  await type(await waitFor('the login field', 'input[name=login]'), args.login);
  await type(await waitFor('the password field', 'input[name=password]'), args.password);
  await click(await waitFor('the Sign-in button', 'form:has(input[name=prompt][value=login]) button[type=submit]'));
}

// The development consent page: "Continue" grants, "[ Cancel ]" (a link to the
// interaction's abort URL) denies.
async function consent(deny) {
  await waitFor('the consent page', CONSENT_FORM);
  if (deny) {
    await click(await waitFor('the Cancel link', 'a[href*="/abort"]'));
  } else {
    await click(await waitFor('the Continue button', 'form:has(input[name=prompt][value=consent]) button[type=submit]'));
  }
}

async function codeFlow() {
  await wd('POST', s('/url'), { url: args.url });
  await logIn();
  await consent(args.deny);
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const url = await currentUrl();
    if (url.startsWith(args.until)) return url;
    if (Date.now() > deadline) fail(`timed out waiting for a URL starting with ${args.until}; at ${url}`);
    await sleep(150);
  }
}

async function deviceFlow() {
  await wd('POST', s('/url'), { url: args.url });
  // The confirmation page (the user code is in the URL): "Continue", not "[ Abort ]".
  await click(await waitFor('the device confirmation page', 'button[form="op.deviceConfirmForm"]:not([name=abort])'));
  await logIn();
  await consent(false);
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    if (await title() === 'Sign-in Success') return 'approved';
    if (Date.now() > deadline) fail(`timed out waiting for the device success page; title "${await title()}"`);
    await sleep(150);
  }
}

async function pageText() {
  try {
    const url = await currentUrl();
    const text = await script('return document.body ? document.body.innerText : document.documentElement.outerHTML');
    return `at ${url}:\n${text}`;
  } catch (err) {
    return `(no page: ${err.message})`;
  }
}

let exitCode = 0;
const overall = setTimeout(async () => {
  process.stderr.write(`browser.mjs: ${mode}: gave up after ${OVERALL_TIMEOUT_MS / 1000} s\n`);
  await stopBrowser();
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

try {
  await startBrowser();
  const result = mode === 'code' ? await codeFlow() : await deviceFlow();
  process.stdout.write(`${result}\n`);
} catch (err) {
  exitCode = 1;
  process.stderr.write(`browser.mjs: ${mode}: ${err.message}\n`);
  if (sessionId) process.stderr.write(`page ${await pageText()}\n`);
  if (!(err instanceof StepError) && driverLog) process.stderr.write(`chromedriver: ${driverLog}\n`);
} finally {
  await stopBrowser();
  clearTimeout(overall);
}
process.exit(exitCode);
