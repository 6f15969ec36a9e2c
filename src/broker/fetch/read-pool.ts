import { BufferPool } from '../../storage/buffer-pool.ts';

/**
 * Fetch responses' record bytes come from here (fetch/read.ts readBytes) and go back
 * once the connection has written them (network/connection.ts): up to 64 MiB kept
 * for reuse. See BufferPool for why.
 */
export const fetchReadPool = new BufferPool({ maxFreeBytes: 64 * 1024 * 1024 });
