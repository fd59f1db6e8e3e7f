'use strict';
// Starts a real assocd for one test file and hands out tokens.
//
// Environment:
//   ASSOCD_BIN                path of the assocd binary (default <repo>/target/debug/assocd)
//   ASSOCD_TEST_DATABASE_URL  database URL to use instead of a fresh SQLite file
//   CONFORMANCE_LOG_DIR       keep each server's log here (node-*.log) and append every token
//                             used to tokens.txt, for scripts/conformance.sh's check that no
//                             token reaches a log

const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const STARTUP_TIMEOUT_MS = 30_000;

function assocdBin() {
  return process.env.ASSOCD_BIN || path.join(REPO, 'target', 'debug', 'assocd');
}

function databaseUrl(tmpdir) {
  return process.env.ASSOCD_TEST_DATABASE_URL || `sqlite://${path.join(tmpdir, 'assocd.sqlite')}`;
}

function logDir() {
  const d = process.env.CONFORMANCE_LOG_DIR;
  if (!d) return null;
  fs.mkdirSync(d, { recursive: true });
  return d;
}

// Notes a token the suite used, for the log check (when CONFORMANCE_LOG_DIR is set).
function rememberToken(token) {
  const d = logDir();
  if (d) fs.appendFileSync(path.join(d, 'tokens.txt'), `${token}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Random portal ids keep tests and runs apart, even on a shared database.
function randomPortal() {
  return crypto.randomInt(10_000_000, 2_000_000_000);
}

function unique(prefix) {
  return `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
}

async function healthy(base) {
  try {
    const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

// Where each server leaves the requests it answered (method, path, status) when it stops,
// for docs/coverage.md (scripts/coverage.py).
const COVERAGE_DIR = path.join(REPO, 'target', 'coverage');

class Server {
  constructor({ baseUrl, database, token, portal, proc, log, adminToken, journal }) {
    Object.assign(this, { baseUrl, database, token, portal, proc, log, adminToken, journal });
  }

  // The control plane's request journal: every HubSpot request this server answered.
  async saveJournal() {
    const r = await fetch(`${this.baseUrl}/_assocd/requests?limit=1000000`, {
      headers: { Authorization: `Bearer ${this.adminToken}` },
    });
    if (r.status !== 200) throw new Error(`journal: ${r.status} ${await r.text()}`);
    const entries = (await r.json()).results.map((e) => [e.method, e.path, e.status]);
    fs.mkdirSync(COVERAGE_DIR, { recursive: true });
    const port = new URL(this.baseUrl).port;
    fs.writeFileSync(path.join(COVERAGE_DIR, `node-${port}.json`), JSON.stringify(entries));
  }

  // `assocd token create`; the new token is the last line of stdout.
  createToken(portal, scopes = []) {
    const args = ['token', 'create', '--portal', String(portal), '--database', this.database];
    for (const s of scopes) args.push('--scope', s);
    const out = execFileSync(assocdBin(), args, { encoding: 'utf8', timeout: 60_000 });
    const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
    if (!lines.length) throw new Error(`assocd ${args.join(' ')} printed no token`);
    rememberToken(lines[lines.length - 1]);
    return lines[lines.length - 1];
  }

  // A fresh, empty portal and an all-scopes token for it.
  newPortal() {
    const portal = randomPortal();
    return { portal, token: this.createToken(portal) };
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (this.journal) await this.saveJournal();
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

// `extra`: more `assocd serve` flags (e.g. ['--rate-limits', 'hubspot']); `journal: false`
// leaves this server's requests out of docs/coverage.md.
async function startServer(extra = [], { journal = true } = {}) {
  const bin = assocdBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`assocd binary not found at ${bin} (build it, or set ASSOCD_BIN)`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assocd-node-'));
  const database = databaseUrl(tmp);
  const port = await freePort();
  const token = `conformance-${crypto.randomBytes(16).toString('hex')}`;
  const adminToken = `admin-${crypto.randomBytes(16).toString('hex')}`;
  rememberToken(token);
  rememberToken(adminToken);
  const portal = randomPortal();
  const log = path.join(logDir() || tmp, `node-assocd-${crypto.randomBytes(4).toString('hex')}.log`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASSOCD_')));
  const logFd = fs.openSync(log, 'w');
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--database', database,
    '--bootstrap-token', token, '--portal', String(portal),
    '--admin-token', adminToken, '--journal-size', '1000000', '--log-format', 'json', ...extra];
  const proc = spawn(bin, args, { cwd: tmp, env, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await healthy(baseUrl))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      throw new Error(`assocd did not become healthy at ${baseUrl} (exit=${proc.exitCode}); `
        + `command: ${bin} ${args.join(' ')}\n--- log ---\n${fs.readFileSync(log, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return new Server({ baseUrl, database, token, portal, proc, log, adminToken, journal });
}

module.exports = { startServer, randomPortal, unique, assocdBin, databaseUrl, rememberToken };
