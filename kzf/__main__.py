"""`python -m kzf` is the `kzf` command."""

import sys

from kzf.engine.cli import main

sys.exit(main())
