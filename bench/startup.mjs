// Target (issue 2): `podlift --version` under 2x `node -e 0`.
// Usage: node bench/startup.mjs [runs]
import { compare } from "./lib.mjs";

const runs = Number(process.argv[2] ?? 20);
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
console.log(`startup, ${runs} interleaved runs each`);
const [node, version, checks] = compare(
  [
    { name: "node -e 0", argv: [process.execPath, "-e", "0"] },
    { name: "podlift --version", argv: [process.execPath, bin, "--version"] },
    { name: "podlift checks", argv: [process.execPath, bin, "checks"] },
  ],
  runs,
);
console.log(
  `ratio --version/node ${(version.median / node.median).toFixed(2)} (target < 2.00); checks/node ${(checks.median / node.median).toFixed(2)}`,
);
