// Docker hands GPUs over through its NVIDIA runtime (deploy.resources.reservations.devices,
// runtime: nvidia); Podman through CDI devices that nvidia-ctk cdi generate describes.
// https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";

export const rule: ComposeRule = {
  id: "gpu-requests",
  title: "GPUs requested the Docker way",
  docs: "docs/compose-rules/gpu-requests.md",
  codes: {
    "compose.gpu-request": {
      status: ["warn", "fail"],
      summary: "Docker's `deploy.resources…devices` GPU request (fail when the host has no CDI spec)",
    },
    "compose.nvidia-runtime": { status: ["warn"], summary: "`runtime: nvidia`" },
  },
  facts: ["cdiDevices"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      const base = `services.${name}`;
      const devices = listItems(
        (((svc.deploy as Service)?.resources as Service)?.reservations as Service)?.devices,
      ) as (Service | null)[];
      for (const [i, d] of devices.entries()) {
        const caps = typeof d?.capabilities === "string" ? [d.capabilities] : listItems(d?.capabilities);
        if (d?.driver !== "nvidia" && !caps.includes("gpu")) continue;
        const cdi = host.cdiDevices.find((x) => x.startsWith("nvidia.com/gpu=")) ?? null;
        out.push({
          code: "compose.gpu-request",
          status: host.cdiDevices.length === 0 ? "fail" : "warn",
          message: `requests a GPU through deploy.resources (Docker's NVIDIA runtime); Podman hands GPUs over as CDI devices${host.cdiDevices.length === 0 ? ", and this host has no CDI spec" : ""}`,
          remedy: `Use devices: [${cdi ? "nvidia.com/gpu=all" : "nvidia.com/gpu=all (after nvidia-ctk cdi generate)"}].`,
          at: at(`${base}.deploy.resources.reservations.devices.${i}`),
          service: name,
        });
      }
      if (svc.runtime === "nvidia") {
        out.push({
          code: "compose.nvidia-runtime",
          status: "warn",
          message: "runtime: nvidia is Docker's; Podman uses CDI devices",
          remedy: "Remove runtime: and add devices: [nvidia.com/gpu=all].",
          at: at(`${base}.runtime`),
          service: name,
        });
      }
    }
    return out;
  },
};
