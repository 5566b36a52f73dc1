"""``python -m smvp`` = the ``smvp`` command."""

import sys

from smvp.cli import main

sys.exit(main())
