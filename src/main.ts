// The single file's entry (scripts/build-single.mjs bundles from here into dist/podlift.cjs);
// bin/podlift.js is the entry of an npm install.
import { run } from "./cli.js";

void run();
