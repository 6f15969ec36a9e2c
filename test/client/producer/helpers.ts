/** Producer test helpers: kcat run asynchronously (an in-process broker shares our event loop). */
import { execFile } from 'node:child_process';

export function kcat(bootstrap: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', bootstrap, ...args], { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Every record of a topic as kcat prints it with `format`, one line each (consumes to the end). */
export async function kcatConsume(bootstrap: string, topic: string, format: string): Promise<string[]> {
  const { stdout } = await kcat(bootstrap, ['-C', '-t', topic, '-e', '-q', '-f', format]);
  return stdout.split('\n').filter((l) => l !== '');
}
