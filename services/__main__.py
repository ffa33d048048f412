"""`python -m services` is the `govsweep` command."""

import sys

from services.cli.main import main

sys.exit(main())
