import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

export default defineConfig({
  resolve: {
    // The examples import the package by name, as a launcher does: here that is this repository's source.
    alias: [
      { find: /^bottle-supervise$/, replacement: src("index.ts") },
      { find: /^bottle-supervise\/(\w+)$/, replacement: src("$1.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts", "examples/testing/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real processes and a 380 MB CLI: two cores, so keep files from starving each other.
    maxWorkers: 2,
    minWorkers: 1
  }
})
