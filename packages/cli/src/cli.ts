#!/usr/bin/env node
import { run } from './run.js';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl-C: stop cleanly (tail exits 0); a second one forces the exit.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
});

process.exitCode = await run(process.argv.slice(2), { signal: controller.signal });
