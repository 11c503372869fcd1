"""The assets: every source's windows and the analyst marts."""

import warnings

# Dagster flags APIs we use (``backfill_policy``) as beta or preview when each asset is defined.
# Said here, before any asset module runs, so that every process importing the definitions (a
# lane started fresh, `dagster dev`'s code server) is quiet, not only the CLI: the warning is
# ours to track when upgrading Dagster, and users can do nothing about it.
warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")
