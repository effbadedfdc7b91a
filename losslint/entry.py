"""The console script: imports the CLI inside the Ctrl-C guard, so an early Ctrl-C is quiet too."""

import sys


def main() -> None:
    try:
        if sys.argv[1:2] == ["run"]:
            # Straight to `losslint run`: a checked program should not wait for the whole CLI to load.
            from losslint.instrument.arguments import main as run_program

            sys.exit(run_program(sys.argv[2:]))
        from losslint.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("losslint: interrupted\n")
        sys.exit(130)
