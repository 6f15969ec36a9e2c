#!/usr/bin/env node
// Entry point of the `samsa` executable. It turns on Node's on-disk compile cache
// before anything else loads (a CLI start parses fewer modules cold), then loads
// only the command that was asked for.
import module from 'node:module';

module.enableCompileCache?.();
await import('./run.ts');
