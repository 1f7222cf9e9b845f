"""terp-seed's own tests use the reusable fixtures in ``terp_seed.testing.plugin``."""

pytest_plugins = ["terp_seed.testing.plugin"]
