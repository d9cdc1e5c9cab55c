/** The command tree: global flags and every command group. */
import { Command } from 'commander';
import { DEFAULT_SOCKET } from './client.js';
import { registerCluster } from './commands/cluster.js';
import { registerNode } from './commands/node.js';
import { registerService } from './commands/service.js';
import { registerTask } from './commands/task.js';
import { registerVersion } from './commands/version.js';

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('swarmctl')
    .description('Control a swarm cluster')
    .option('-s, --socket <path>', `Socket to connect to the Swarm manager (default $SWARM_SOCKET, else ${DEFAULT_SOCKET})`, env.SWARM_SOCKET || undefined)
    .option('--manager <urls>', 'talk to remote managers over HTTP(S) instead: http://host:port[,http://host:port...] (default $SWARM_MANAGER); the next one is used when a manager cannot be reached')
    .option('--token <token>', 'API token for --manager (default $SWARM_TOKEN)', env.SWARM_TOKEN || undefined)
    .option('--ca <file>', 'CA certificate to trust for an https --manager (e.g. the cluster root CA)')
    .option('-n, --no-resolve', 'Do not try to map IDs to Names when displaying them')
    .option('--stale', "read this manager's copy of the state without a consistency round to the leader (works without quorum)")
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'Error: ')) })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride(); // errors surface as CommanderError, so main() decides the exit status

  registerNode(program);
  registerService(program);
  registerTask(program);
  registerCluster(program);
  registerVersion(program);
  return program;
}
