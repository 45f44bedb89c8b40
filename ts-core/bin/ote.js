#!/usr/bin/env node
// The `ote` command. The TypeScript is compiled to dist/ by `npm install` (scripts/build.mjs).
import { main } from '../../dist/ts-core/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 70;
  },
);
