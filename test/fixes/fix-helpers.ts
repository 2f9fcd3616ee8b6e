// Plans and applies fixes against fixture hosts through the real engine.
import { checks } from "../../checks/index.js";
import { fixes } from "../../fixes/index.js";
import { parseCompose } from "../../src/compose/info.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { planFixes } from "../../src/fix/planning.js";
import { applyAndVerify } from "../../src/fix/session.js";
import { FixtureHost, type FixtureSpec } from "../../src/host/fixture-host.js";

export async function planOn(
  root: string,
  options: { spec?: FixtureSpec; only?: string[]; compose?: string; ports?: number[]; user?: string } = {},
) {
  const host = new FixtureHost(root, options.spec);
  const composeText = options.compose ? await host.readFile(options.compose) : null;
  const factOptions = {
    user: options.user,
    ports: options.ports,
    compose: composeText && options.compose ? parseCompose(composeText, options.compose) : null,
  };
  const facts = await gatherFacts(host, factOptions);
  const result = await runDoctor({ checks, host, facts, version: "test", timeoutMs: 5000 });
  const planned = await planFixes({ host, facts }, result, fixes, options.only);
  const plan = (id: string) => {
    const p = planned.plans.find((x) => x.fixId === id);
    if (!p)
      throw new Error(
        `no plan ${id}; plans: ${planned.plans.map((x) => x.fixId).join(", ")}; unplannable: ${JSON.stringify(planned.unplannable)}`,
      );
    return p;
  };
  const apply = (ids: string[]) =>
    applyAndVerify({
      before: result,
      host,
      plans: planned.plans.filter((p) => ids.includes(p.fixId)),
      checks,
      fixes,
      factOptions,
      version: "test",
    });
  return { host, facts, result, planned, plan, apply };
}
