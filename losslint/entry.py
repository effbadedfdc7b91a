"""The console script: imports the CLI inside the Ctrl-C guard, so an early Ctrl-C is quiet too."""

import sys


def main() -> None:
    try:
        from losslint.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("losslint: interrupted\n")
        sys.exit(130)
