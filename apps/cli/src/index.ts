/** Library entry: the pure pieces of swarmctl (flag → spec merging, formatting) for reuse and tests. */
export { applyServiceFlags, newServiceSpec, sameSpec, type ServiceFlags } from './flags/service-flags.js';
export { parseCpu, parseMemory, parseKeyValues, parseUint, splitWords } from './flags/parse.js';
export { tabwrite, table } from './format/table.js';
export { goDuration } from './format/time.js';
export { iBytes } from './format/units.js';
export { buildProgram } from './program.js';
export { chooseTarget, connect, type Client, type Target } from './client.js';
