"""The `warroom` command: the same use cases as the web app, from a terminal (Typer + Rich)."""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    # Ctrl-C while the command's modules load is an interruption too, not a traceback.
    try:
        from warroom.cli.app import EXIT_INTERRUPTED, run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted: nothing was stored.\n")
        sys.stderr.flush()
        # nothing ran yet; a normal exit would finalize half-imported modules, which can
        # end the process by SIGINT instead of with this exit code
        os._exit(130)
    try:
        code = run(sys.argv[1:], standalone=True)
    except KeyboardInterrupt:  # between the boundary's return and here
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # handled: exit with the code
        code = EXIT_INTERRUPTED
    sys.exit(code)
