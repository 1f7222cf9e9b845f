"""``python -m terp_seed.cli``: the ``terp-seed`` command without the console script."""

from __future__ import annotations

import sys

from terp_seed.cli import main

sys.exit(main())
