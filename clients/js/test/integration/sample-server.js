// Starts the real sample server (its build output) for the integration tests, or uses CHATKIT_TEST_SERVER_URL.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const projectDir = path.join(root, 'samples', 'ChatKit.Samples.Server');

function findDll(dir) {
  let best = null;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (name === 'ChatKit.Samples.Server.dll' && (!best || s.mtimeMs > best.mtimeMs)) best = { p, mtimeMs: s.mtimeMs };
    }
  };
  if (existsSync(dir)) walk(dir);
  return best && best.p;
}

/** Why the integration tests cannot run here, or null when they can. */
export function skipReason() {
  if (process.env.CHATKIT_TEST_SERVER_URL) return null;
  if (!existsSync(path.join(projectDir, 'ChatKit.Samples.Server.csproj'))) return 'samples/ChatKit.Samples.Server does not exist yet';
  if (!findDll(path.join(projectDir, 'bin'))) return 'the sample server is not built: dotnet build samples/ChatKit.Samples.Server';
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the server; resolves with `{ http, ws, token(user), stop(), log() }`. */
export async function startSampleServer(extraArgs = []) {
  let base = process.env.CHATKIT_TEST_SERVER_URL;
  let child = null;
  let out = '';
  if (!base) {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn('dotnet', [findDll(path.join(projectDir, 'bin')), '--urls', base, '--contentRoot', projectDir, '--ChatKit:Storage=InMemory', ...extraArgs], {
      cwd: projectDir,
      env: { ...process.env, ASPNETCORE_ENVIRONMENT: 'Development', DOTNET_NOLOGO: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
  }
  base = base.replace(/\/+$/, '');
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the sample server exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(base + '/chatkit/health');
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the sample server did not start within 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    http: base + '/chatkit',
    ws: base.replace(/^http/, 'ws') + '/chatkit',
    base,
    async token(user) {
      const r = await fetch(base + '/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
      if (!r.ok) throw new Error(`/dev/token answered ${r.status}`);
      return (await r.json()).token;
    },
    log: () => out,
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
