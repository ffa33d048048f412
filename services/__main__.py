"""`python -m services` is the `govsweep` command."""

import sys

from services.cli import main

sys.exit(main())
