import { UsageError } from './args.ts';

const USAGE = `Usage: samsa <command> [options]

Commands:
  start     run a broker (Kafka config names and defaults)
  topics    create, list, describe and delete topics (kafka-topics)
  produce   write lines from stdin as records (kafka-console-producer)
  consume   print records of a topic (kafka-console-consumer)
  consumer-groups  list, describe, delete groups; reset offsets (kafka-consumer-groups)

Run "samsa <command> --help" for a command's options.`;

type Command = (argv: readonly string[]) => Promise<number>;
interface CommandModule {
  run: Command;
  usage: string;
}

/** Commands load on demand: `samsa start` never loads the client, and the reverse. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  start: async () => {
    const m = await import('./commands/start.ts');
    return { run: m.startCommand, usage: m.START_USAGE };
  },
  topics: async () => {
    const m = await import('./commands/topics.ts');
    return { run: m.topicsCommand, usage: m.TOPICS_USAGE };
  },
  produce: async () => {
    const m = await import('./commands/produce.ts');
    return { run: m.produceCommand, usage: m.PRODUCE_USAGE };
  },
  consume: async () => {
    const m = await import('./commands/consume.ts');
    return { run: m.consumeCommand, usage: m.CONSUME_USAGE };
  },
  'consumer-groups': async () => {
    const m = await import('./commands/consumer-groups.ts');
    return { run: m.consumerGroupsCommand, usage: m.CONSUMER_GROUPS_USAGE };
  },
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
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`samsa: unknown command '${name}'\n${USAGE}\n`);
    return 1;
  }
  const cmd = await load();
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
