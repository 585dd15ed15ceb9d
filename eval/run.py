"""Run the evaluation: the same as `rag eval` (see eval/README.md).

python eval/run.py [--qa FILE] [-k N] [--json OUT] [--markdown OUT]
"""

import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
