#!/usr/bin/env node
// Runs every test suite (unit + integration with Vitest, end-to-end with
// Playwright) and prints one closing line: "N passed, N failed[, N skipped]".
// Exit status is non-zero if anything failed or a suite could not run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const reports = path.join(root, 'reports');
fs.mkdirSync(reports, { recursive: true });
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', NEXT_TELEMETRY_DISABLED: '1', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' };
const only = process.argv[2]; // optional: "unit" or "e2e"

const run = (cmd, args) => {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' }).status ?? 1;
};
const readJson = (f) => {
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch {
    return undefined;
  }
};

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];

if (run('npx', ['turbo', 'run', 'build']) !== 0) {
  console.log('\nbuild failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (only !== 'e2e') {
  const out = path.join(reports, 'vitest.json');
  fs.rmSync(out, { force: true });
  const code = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  const r = readJson(out);
  if (!r) {
    problems.push(`vitest exited ${code} without a report`);
    failed++;
  } else {
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numFailedTestSuites} failed suites (files and describe blocks)`);
  }
}

if (only !== 'unit' && fs.existsSync(path.join(root, 'e2e/playwright.config.ts'))) {
  const out = path.join(reports, 'playwright.json');
  fs.rmSync(out, { force: true });
  const code = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts']);
  const r = readJson(out);
  if (!r) {
    problems.push(`playwright exited ${code} without a report`);
    failed++;
  } else {
    passed += r.stats.expected + (r.stats.flaky ?? 0);
    failed += r.stats.unexpected;
    skipped += r.stats.skipped ?? 0;
    console.log(`playwright: ${r.stats.expected} passed, ${r.stats.unexpected} failed, ${r.stats.flaky ?? 0} flaky`);
  }
}

for (const p of problems) console.log(`problem: ${p}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
