#!/usr/bin/env node
// Entry point: everything lives in the build (dist/), produced by `npm run build` (and by
// `npm install`/`npm ci` through the prepare script).
import { run } from "../dist/src/cli.js";

await run();
