"""The ``nsrun`` console script of the wheel: the same command line as the ``nsrun`` binary
(``nsrun._nsrun.cli_main`` runs the Rust CLI in this process)."""

import sys

from nsrun._nsrun import cli_main


def main() -> int:
    """Entry point of ``[project.scripts] nsrun``: runs ``sys.argv`` and returns the status."""
    sys.stdout.flush()
    sys.stderr.flush()
    return cli_main(list(sys.argv))


if __name__ == "__main__":
    sys.exit(main())
