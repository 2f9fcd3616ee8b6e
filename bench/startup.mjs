// Targets: `podlift --version` under 2x `node -e 0` (issue 2) from an npm install, and within
// 1.2x from the single file (issue 14). Also the single file's size.
// Usage: npm run build && node bench/startup.mjs [runs]
import { statSync } from "node:fs";
import { compare } from "./lib.mjs";

const runs = Number(process.argv[2] ?? 20);
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const single = new URL("../dist/podlift.cjs", import.meta.url).pathname;
console.log(`startup, ${runs} interleaved runs each`);
if (process.env.NODE_EXTRA_CA_CERTS)
  console.log(
    "note: NODE_EXTRA_CA_CERTS is set: `node -e 0` parses it, podlift's launcher line starts node without it",
  );
const [node, version, checks, singleVersion, singleChecks] = compare(
  [
    { name: "node -e 0", argv: [process.execPath, "-e", "0"] },
    // Run as programs, as the `podlift` of an npm install (a link to bin/podlift.js) runs.
    { name: "podlift --version", argv: [bin, "--version"] },
    { name: "podlift checks", argv: [bin, "checks"] },
    { name: "podlift.cjs --version", argv: [single, "--version"] },
    { name: "podlift.cjs checks", argv: [single, "checks"] },
  ],
  runs,
);
const ratio = (a) => (a.median / node.median).toFixed(2);
console.log(
  `ratio to node -e 0: --version ${ratio(version)} (target < 2.00), checks ${ratio(checks)}; ` +
    `single file --version ${ratio(singleVersion)} (target <= 1.20), checks ${ratio(singleChecks)}`,
);
console.log(`single file: ${(statSync(single).size / 1024 / 1024).toFixed(2)} MiB`);
