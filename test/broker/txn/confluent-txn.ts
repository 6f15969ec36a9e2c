/** Runs a scenario of confluent_txn.py (librdkafka) and returns the JSON it prints last. */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const SCRIPT = path.join(import.meta.dirname, 'confluent_txn.py');

export function py(bootstrap: string, ...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [SCRIPT, bootstrap, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`python ${args.join(' ')} exited ${code}: ${out}\n${err.slice(-3000)}`));
      }
    });
  });
}

