// podlift doctor: flags → the checks → a report in the chosen format, the exit code CI branches on.
import { EXIT } from "../doctor/exit-code.js";
import { type DoctorFlags, prepare, reportOutput } from "./common.js";

export async function doctor(flags: DoctorFlags): Promise<number> {
  const emit = await reportOutput(flags);
  const { run } = await prepare(flags, flags.only, { doctorRun: true });
  const result = await run();
  await emit(result);
  // The report keeps its exit code; --exit-zero only changes the process's (not an interrupt's).
  return flags.exitZero && result.exitCode !== EXIT.interrupted ? EXIT.ok : result.exitCode;
}
