"""`python -m maturity.cli`."""

import sys

from . import main

sys.exit(main())
