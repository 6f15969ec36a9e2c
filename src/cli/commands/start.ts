import { BrokerConfig } from '../../broker/config/broker-config.ts';
import { ConfigException } from '../../broker/config/config-def.ts';
import { startBroker } from '../../broker/broker.ts';
import { flag, flagAll, keyValues, parseArgs, UsageError } from '../args.ts';

export const START_USAGE = `Usage: samsa start [--config server.properties] [--override key=value ...]

Starts a broker with Kafka's config names and defaults. Prints one line starting
"samsa ready" when it accepts connections. SIGTERM or SIGINT stops it cleanly.`;

export async function startCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}\n${START_USAGE}`);
  const configFile = flag(args, 'config');
  let config: BrokerConfig;
  try {
    config = BrokerConfig.fromFile(configFile, keyValues(flagAll(args, 'override'), '--override'));
  } catch (err) {
    if (err instanceof ConfigException) {
      process.stderr.write(`samsa: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const broker = await startBroker({ config });
  const listeners = broker.advertisedListeners().map((l) => `${l.name}://${l.host}:${l.port}`).join(',');
  process.stdout.write(`samsa ready listeners=${listeners} node.id=${broker.nodeId} cluster.id=${broker.clusterId} ready_ms=${broker.readyMs}\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`[samsa] ${signal}: shutting down\n`);
      broker.close().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`[samsa] shutdown failed: ${(err as Error).stack ?? String(err)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
