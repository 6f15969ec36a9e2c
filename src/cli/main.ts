#!/usr/bin/env node
import { UsageError } from './args.ts';
import { startCommand, START_USAGE } from './commands/start.ts';
import { topicsCommand, TOPICS_USAGE } from './commands/topics.ts';
import { produceCommand, PRODUCE_USAGE } from './commands/produce.ts';
import { consumeCommand, CONSUME_USAGE } from './commands/consume.ts';

const USAGE = `Usage: samsa <command> [options]

Commands:
  start     run a broker (${START_USAGE.split('\n')[0]!.replace('Usage: ', '')})
  topics    create, list, describe and delete topics (kafka-topics)
  produce   write lines from stdin as records (kafka-console-producer)
  consume   print records of a topic (kafka-console-consumer)

Run "samsa <command> --help" for a command's options.`;

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  start: { run: startCommand, usage: START_USAGE },
  topics: { run: topicsCommand, usage: TOPICS_USAGE },
  produce: { run: produceCommand, usage: PRODUCE_USAGE },
  consume: { run: consumeCommand, usage: CONSUME_USAGE },
};

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    process.stdout.write('samsa 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`samsa: unknown command '${name}'\n${USAGE}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`samsa ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`samsa: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
