"""The pytest plugin for projects that test against terp-seed (terp-seed's own test helpers
live in tests/support)."""
