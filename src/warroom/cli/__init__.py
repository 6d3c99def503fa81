"""The `warroom` command: the same use cases as the web app, from a terminal (Click + Rich)."""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType

INTERRUPTED = False  # a Ctrl-C arrived: whatever error follows is its consequence


def _interrupt(signum: int, frame: FrameType | None) -> None:
    global INTERRUPTED
    if INTERRUPTED:
        return  # the first Ctrl-C is being handled: a second one must not cut that short
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        # inside the import machinery an exception may be swallowed ("Exception ignored
        # in ... cb") and the Ctrl-C lost: try again in 10 ms, outside it
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    INTERRUPTED = True
    raise KeyboardInterrupt  # as Python's own handler: libraries may wrap it (pydantic)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGALRM, _interrupt)  # a Ctrl-C put off (see `_interrupt`)
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
        code = run(sys.argv[1:])
    except KeyboardInterrupt:  # between the boundary's return and here
        code = EXIT_INTERRUPTED
    # The process ends now: without this, the collector walks every object of every
    # imported library once more while Python shuts down, a sixth of a quick command's
    # time (benchmarks/startup_bench.py). Connections are closed and files renamed by
    # now; cycles only the collector would find are left to the operating system.
    gc.freeze()
    if code == EXIT_INTERRUPTED:
        # handled, connections closed: leave with the code now, so nothing of Python's
        # shutdown can turn the exit into death by the signal
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
