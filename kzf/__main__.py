"""`python -m kzf` is the `kzf` command."""

import sys

from kzf.engine.cli.main import main

sys.exit(main())
