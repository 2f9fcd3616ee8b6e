// Target (issue 13): planning and writing the units for 50 containers takes under 2 s.
// 1. In this process: 50 inspected Docker containers (shaped like real ones: env, ports, volumes,
//    networks, healthchecks, dependencies) to services, planned as Quadlet units and written
//    through the fix engine (lock, journal, atomic writes) into a scratch root.
// 2. The command line end to end: `podlift migrate services --compose` of a 50-service project
//    into a scratch --root, with --yes (node start-up included), for each kind of unit.
// Prints figures; never asserts. Usage: npm run build && node bench/services.mjs [containers]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const dist = new URL("../dist/src/", import.meta.url);
const { serviceFromInspect } = await import(new URL("services/docker-source.js", dist));
const { planServices, toFixPlan } = await import(new URL("services/plan.js", dist));
const { applyServicePlan } = await import(new URL("services/apply.js", dist));
const { countCarried } = await import(new URL("services/model.js", dist));
const { LiveHost } = await import(new URL("host/live-host.js", dist));
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const n = Number(process.argv[2] ?? 50);

function inspect(i) {
  const project = `p${Math.floor(i / 5)}`;
  return {
    Id: `${i}`.padStart(64, "0"),
    Name: `/${project}-svc${i % 5}-1`,
    Image: "sha256:abc",
    Config: {
      Image: `localhost/app${i % 7}:1.${i}`,
      Cmd: ["serve", "--port", `${8000 + i}`, "--log-format", "%(h)s $x"],
      Env: ["PATH=/usr/bin", `DATABASE_URL=postgres://u:p@db${i}/app`, `WORKERS=${i % 8}`, "TZ=UTC"],
      Labels: {
        "com.docker.compose.project": project,
        "com.docker.compose.service": `svc${i % 5}`,
        ...(i % 5 > 0 ? { "com.docker.compose.depends_on": "svc0:service_started:false" } : {}),
        "org.example.owner": "team a",
      },
      Healthcheck: {
        Test: ["CMD", "curl", "-f", `http://localhost:${8000 + i}/`],
        Interval: 30e9,
        Retries: 3,
      },
    },
    HostConfig: {
      PortBindings: { [`${8000 + i}/tcp`]: [{ HostPort: `${18000 + i}` }] },
      RestartPolicy: { Name: i % 3 === 0 ? "unless-stopped" : "always" },
      CapDrop: ["ALL"],
      NetworkMode: `${project}_default`,
    },
    Mounts: [
      { Type: "volume", Name: `${project}_data${i % 5}`, Source: "", Destination: "/data", RW: true },
      { Type: "bind", Source: `/srv/${project}/conf`, Destination: "/etc/app", RW: false },
    ],
    NetworkSettings: { Networks: { [`${project}_default`]: { Aliases: [`svc${i % 5}`] } } },
  };
}

function inventory(count) {
  const gaps = [];
  const services = Array.from({ length: count }, (_, i) =>
    serviceFromInspect(inspect(i), { Config: { Env: ["PATH=/usr/bin"] } }, gaps),
  );
  for (const s of services) s.dependsOn = s.service === "svc0" ? [] : [`${s.project}-svc0-1`];
  const carried = {};
  for (const s of services) countCarried(s, carried);
  const networks = [...new Set(services.flatMap((s) => s.networks))].map((name) => ({
    name,
    subnets: [],
    internal: false,
    ipv6: false,
    labels: [],
  }));
  const volumes = [
    ...new Set(services.flatMap((s) => s.mounts.filter((m) => m.kind === "volume").map((m) => m.source))),
  ].map((name) => ({ name, options: [], labels: [] }));
  return { source: "bench", services, volumes, networks, gaps, carried };
}

const facts = { podmanVersion: "5.4.2", systemd: true, quadlet: true };
// Every write fsyncs the file, its folder and the journal (about 6 fsyncs a unit): on a busy
// shared disk they dominate. The same runs on /dev/shm (fsync costs nothing there) show what
// podlift itself costs.
for (const base of [os.tmpdir(), "/dev/shm"]) {
  const scratch = mkdtempSync(path.join(base, "podlift-bench-services-"));
  try {
    console.log(`${n} containers under ${base}: inspect data → services → Quadlet plan → journalled writes`);
    for (let run = 1; run <= 3; run++) {
      const t0 = performance.now();
      const inv = inventory(n);
      const t1 = performance.now();
      const sp = planServices(inv, facts, { user: null });
      const t2 = performance.now();
      const host = new LiveHost(scratch);
      const outcome = await applyServicePlan(host, await toFixPlan(host, sp, { user: null }, false));
      const t3 = performance.now();
      const written = readdirSync(path.join(scratch, "etc/containers/systemd")).length;
      console.log(
        `  run ${run}: ${(t3 - t0).toFixed(0)} ms total (read ${(t1 - t0).toFixed(1)} ms, plan ${(t2 - t1).toFixed(1)} ms, write ${(t3 - t2).toFixed(0)} ms); ${written} files, ${outcome.status}`,
      );
      rmSync(path.join(scratch, "etc"), { recursive: true, force: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const root = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-services-"));
try {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-services-compose-"));
  const lines = ["name: bench", "services:"];
  for (let i = 0; i < n; i++)
    lines.push(
      `  svc${i}:`,
      `    image: localhost/app${i % 7}:1`,
      `    command: serve --port ${8000 + i}`,
      "    environment:",
      `      DATABASE_URL: postgres://u:p@db/app${i}`,
      `    ports: ["${18000 + i}:${8000 + i}"]`,
      `    volumes: ["data${i}:/data", "./conf:/etc/app:ro"]`,
      "    restart: always",
      ...(i > 0 ? ["    depends_on: [svc0]"] : []),
      "    healthcheck:",
      `      test: ["CMD", "curl", "-f", "http://localhost:${8000 + i}/"]`,
    );
  lines.push("volumes:", ...Array.from({ length: n }, (_, i) => `  data${i}: {}`));
  const file = path.join(root, "srv/compose.yaml");
  spawnSync("mkdir", ["-p", path.dirname(file)]);
  writeFileSync(file, `${lines.join("\n")}\n`);
  console.log(
    `\npodlift migrate services --compose (${n} services) --root <scratch> --yes, node start-up included:`,
  );
  for (const kind of ["quadlet", "service", "commands"]) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [bin, "migrate", "services", "--compose", "/srv/compose.yaml", "--root", root, "--as", kind, "--yes"],
      { encoding: "utf8" },
    );
    const ms = performance.now() - t0;
    console.log(
      `  --as ${kind}: ${ms.toFixed(0)} ms, exit ${r.status}${r.status !== 0 ? `: ${r.stderr.trim()}` : ""}`,
    );
    spawnSync(process.execPath, [bin, "undo", "--root", root], { encoding: "utf8" });
  }
  rmSync(dir, { recursive: true, force: true });
} finally {
  rmSync(root, { recursive: true, force: true });
}
