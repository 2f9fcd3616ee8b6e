// Run before every test file (vitest setupFiles): the throwaway trees a file made through the
// helpers are removed once the file has finished (thousands piled up in /tmp otherwise).
import { afterAll } from "vitest";
import { removeMadeTrees } from "./helpers.js";

afterAll(removeMadeTrees);
