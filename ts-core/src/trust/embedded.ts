/**
 * The embedded default: when no engine URL is configured, start an engine and verifier nodes on loopback as child
 * processes (`ote trust serve`, `ote trust node`), so verification needs no setup. Children are real processes, as
 * a remote deployment would be; `stop()` ends exactly the processes started here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { TrustClient } from './client.js';
import { OteError } from '../errors.js';

/** ts-core/bin/ote.js, found from this compiled file (dist/ts-core/src/trust/embedded.js). */
export const OTE_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../ts-core/bin/ote.js');

export interface EmbeddedOptions {
  dataDir: string;
  nodes?: number;
  quorum?: number;
  /** Extra arguments per node index (the fault tests make some nodes lie). */
  nodeArgs?: (i: number) => string[];
  serveArgs?: string[];
  startTimeoutMs?: number;
  /** Where children's stderr goes (default: discarded). */
  stderr?: (line: string) => void;
}

export interface EmbeddedTrust {
  url: string;
  apiKey: { id: string; secret: string };
  engineKey: string;
  engine: ChildProcess;
  nodes: ChildProcess[];
  client(): TrustClient;
  /** Starts one more node process (e.g. after killing one). */
  addNode(args?: string[], index?: number): ChildProcess;
  /** Waits (bounded) until the engine sees at least `count` connected nodes. */
  waitForNodes(count: number, timeoutMs?: number): Promise<void>;
  /** Restarts the engine on the same data dir and port (after a kill). */
  restartEngine(): Promise<void>;
  stop(): Promise<void>;
}

function pipeLines(child: ChildProcess, sink?: (l: string) => void) {
  if (sink && child.stderr) createInterface({ input: child.stderr }).on('line', sink);
  else child.stderr?.resume();
}

function startEngine(
  dataDir: string,
  args: string[],
  timeoutMs: number,
  sink?: (l: string) => void,
): Promise<{ child: ChildProcess; url: string; engineKey: string }> {
  const child = spawn(process.execPath, [OTE_BIN, 'trust', 'serve', '--data', dataDir, '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last lines the engine wrote to stderr while starting, for the error when it does not start.
  const recent: string[] = [];
  pipeLines(child, (line) => {
    recent.push(line);
    if (recent.length > 8) recent.shift();
    sink?.(line);
  });
  const said = () => (recent.length ? `; its last words: ${recent.join(' | ')}` : '; it wrote nothing to stderr');
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new OteError('ENGINE_UNREACHABLE', `trust engine did not start within ${timeoutMs} ms${said()}`));
    }, timeoutMs);
    // 'close', not 'exit': it comes after stderr has ended, so its last lines are in.
    const closed = (code: number | null) => {
      clearTimeout(timer);
      rej(new OteError('ENGINE_UNREACHABLE', `trust engine exited with status ${code} while starting${said()}`));
    };
    child.once('close', closed);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line);
        if (m.event === 'listening') {
          clearTimeout(timer);
          child.off('close', closed);
          res({ child, url: m.url, engineKey: m.engineKey });
        }
      } catch {
        /* not a status line */
      }
    });
  });
}

export async function startEmbeddedTrust(o: EmbeddedOptions): Promise<EmbeddedTrust> {
  const nodeCount = o.nodes ?? 3,
    timeoutMs = o.startTimeoutMs ?? 30_000;
  const serveArgs = [...(o.quorum ? ['--quorum', String(o.quorum)] : []), ...(o.serveArgs ?? [])];
  let eng = await startEngine(o.dataDir, serveArgs, timeoutMs, o.stderr);
  const port = new URL(eng.url).port;
  const keys = (JSON.parse(readFileSync(join(o.dataDir, 'engine.json'), 'utf8')) as { apiKeys: Record<string, string> })
    .apiKeys;
  const [id, secret] = Object.entries(keys)[0];
  const nodes: ChildProcess[] = [];
  const self: EmbeddedTrust = {
    url: eng.url,
    apiKey: { id, secret },
    engineKey: eng.engineKey,
    engine: eng.child,
    nodes,
    client: () => new TrustClient({ url: self.url, apiKey: { id, secret } }),
    addNode(args = [], index = nodes.length) {
      const child = spawn(
        process.execPath,
        [
          OTE_BIN,
          'trust',
          'node',
          '--engine',
          self.url,
          '--key',
          join(o.dataDir, `node-${index}.key`),
          ...(o.nodeArgs?.(index) ?? []),
          ...args,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      pipeLines(child, o.stderr);
      nodes.push(child);
      return child;
    },
    async restartEngine() {
      eng = await startEngine(o.dataDir, [...serveArgs, '--port', port], timeoutMs, o.stderr);
      self.engine = eng.child;
    },
    async waitForNodes(count, ms = timeoutMs) {
      const client = self.client();
      try {
        const deadline = Date.now() + ms;
        for (;;) {
          const info = await client.info().catch(() => ({ nodes: [] }));
          if ((info.nodes as { connected: boolean }[]).filter((n) => n.connected).length >= count) return;
          if (Date.now() > deadline)
            throw new OteError('ENGINE_UNREACHABLE', `fewer than ${count} verifier nodes connected within ${ms} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        client.close();
      }
    },
    async stop() {
      const all = [...nodes, self.engine].filter((c) => c.exitCode === null && c.signalCode === null);
      await Promise.all(
        all.map(
          (c) =>
            new Promise<void>((r) => {
              const t = setTimeout(() => {
                c.kill('SIGKILL');
              }, 3000);
              c.once('exit', () => {
                clearTimeout(t);
                r();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
  for (let i = 0; i < nodeCount; i++) self.addNode();
  // Ready when the engine sees every node (bounded wait).
  try {
    await self.waitForNodes(nodeCount);
  } catch (e) {
    await self.stop();
    throw e;
  }
  return self;
}
