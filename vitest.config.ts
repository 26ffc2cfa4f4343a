import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real processes and a 380 MB CLI: two cores, so keep files from starving each other.
    maxWorkers: 2,
    minWorkers: 1
  }
})
