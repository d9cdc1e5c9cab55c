#!/usr/bin/env node
/** swarmctl: control a swarm cluster through a manager's API. */
import { CommanderError } from 'commander';
import { UsageError } from './client.js';
import { CliError } from './commands/common.js';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    // Commander already printed its own message (usage errors, --help, --version).
    if (e instanceof CommanderError) return e.exitCode;
    const message = e instanceof CliError || e instanceof UsageError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`Error: ${message}\n`);
    return 1;
  }
}

// `swarmctl task ls | head -1`: a closed pipe is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv);
