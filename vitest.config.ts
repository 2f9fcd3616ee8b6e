import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/cleanup.ts"],
    testTimeout: 30000,
    hookTimeout: 120000,
    // Integration tests share one dockerd and the machine's Podman storage: files run one at a time.
    fileParallelism: false,
  },
});
