// podlift doctor: the checks, a report in the chosen format, the exit code CI branches on.
import { safeLine } from "../text/safe-text.js";
import { type DoctorFlags, io, prepare, useColor } from "./common.js";

export async function doctor(flags: DoctorFlags): Promise<number> {
  const { checkOutputTarget, isOwnStdout, writeFileAtomic } = await import("../host/atomic.js");
  // A wrong --output fails before the checks run, not after; one naming our own stdout is `-`.
  const toStdout = flags.output !== undefined && (await isOwnStdout(flags.output));
  if (flags.output !== undefined && !toStdout) await checkOutputTarget(flags.output);
  const [{ run }, reports] = await Promise.all([
    prepare(flags, flags.only),
    import("../../reports/index.js"),
  ]);
  const result = await run();
  const text = () => reports.writeText(result, { color: useColor(flags), verbose: flags.verbose === true });
  const rendered =
    flags.format === "json"
      ? reports.writeJson(result)
      : flags.format === "junit"
        ? reports.writeJunit(result)
        : null;
  if (flags.output !== undefined) {
    const fileText = rendered ?? reports.writeText(result, { color: false, verbose: flags.verbose === true });
    if (toStdout) io.out(fileText);
    else {
      await writeFileAtomic(flags.output, fileText, { mode: 0o644 });
      io.out(text());
      io.err(`podlift: ${flags.format} report written to ${safeLine(flags.output)}\n`);
    }
  } else {
    io.out(rendered ?? text());
  }
  return result.exitCode;
}

/** No subcommand: the guided setup on a terminal; elsewhere the doctor's report and a hint. */
