/**
 * Linux's signal numbers, for reading a guest's exit code 128+N. The guest is
 * always Linux (a microVM, a container), whatever the host is: the host's own
 * table (`os.constants.signals`) would name exit 138 SIGBUS on macOS, where
 * the guest meant SIGUSR1.
 *
 * @internal
 */
const LINUX_SIGNALS: ReadonlyArray<string> = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS"
]

/** The name of Linux signal `n` (1–31), or `undefined`. @internal */
export const linuxSignalName = (n: number): string | undefined => LINUX_SIGNALS[n - 1]
