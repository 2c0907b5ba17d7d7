"""`python -m funnelkit` runs the command line."""

import sys

from funnelkit.cli import main

sys.exit(main())
