"""The `sluice` console script (pyproject.toml's [project.scripts]): the command line of
docs/cli.md, run inside this process by the library's `sluice_cli_main`.

maturin puts the crate's library in the wheel but no executable next to it, so the wheel's
library is built with the `python-cli` feature, which holds the command line, and this script
hands it the arguments. Output, progress bars and the exit status are the native program's.
"""

import ctypes
import os
import signal
import sys
from typing import List, NoReturn, Optional


def main(argv: Optional[List[str]] = None) -> NoReturn:
    from ._lib import lib

    args = [b"sluice"] + [os.fsencode(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    function = lib.sluice_cli_main
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    # Ctrl-C stops the command, as it stops the native program (Python's own handler would
    # wait for the library to return before raising KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    status = function(len(args), (ctypes.c_char_p * len(args))(*args))
    sys.exit(status)


if __name__ == "__main__":
    main()
