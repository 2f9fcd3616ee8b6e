// Target (issue 2): a full `podlift doctor` on this host no slower than `podman info` alone.
// Usage: node bench/doctor.mjs [runs] [--user NAME]
import { compare } from "./lib.mjs";

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
const userAt = args.indexOf("--user");
const user = userAt >= 0 ? args[userAt + 1] : undefined;
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const as = user ? ["runuser", "-u", user, "--"] : [];
const target = user ? ["--user", user] : [];

console.log(
  `podlift doctor vs podman info, ${runs} interleaved runs each${user ? `, target user ${user}` : ""}`,
);
const rows = compare(
  [
    { name: "podman info", argv: [...as, "podman", "info"] },
    { name: "podlift doctor (all checks)", argv: [process.execPath, bin, "doctor", ...target] },
    {
      name: "podlift doctor --skip canary",
      argv: [process.execPath, bin, "doctor", "--skip", "canary", ...target],
    },
  ],
  runs,
);
const [info, full, quick] = rows;
console.log(
  `ratio full/podman-info ${(full.median / info.median).toFixed(2)}, without canary ${(quick.median / info.median).toFixed(2)} (target <= 1.00)`,
);
