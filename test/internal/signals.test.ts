import { describe, expect, it } from "@effect/vitest"
import { constants } from "node:os"
import { linuxSignalName } from "../../src/internal/signals.js"

// A guest's exit 128+N is read with Linux's table whatever the host is (macOS numbers SIGUSR1 30, not 10).
describe("Linux signal names for a guest's exit 128+N", () => {
  it.runIf(process.platform === "linux")("agree with this Linux host's own table for 1–31", () => {
    for (let n = 1; n <= 31; n++) {
      const host = Object.entries(constants.signals).find(([, value]) => value === n)?.[0]
      expect({ n, name: linuxSignalName(n) }).toEqual({ n, name: host })
    }
  })

  it("name SIGUSR1 10 and SIGKILL 9, and nothing outside 1–31", () => {
    expect(linuxSignalName(10)).toBe("SIGUSR1")
    expect(linuxSignalName(9)).toBe("SIGKILL")
    expect(linuxSignalName(0)).toBeUndefined()
    expect(linuxSignalName(32)).toBeUndefined()
  })
})
