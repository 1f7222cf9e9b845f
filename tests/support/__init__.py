"""Helpers for terp-seed's own tests (not shipped in the package)."""
