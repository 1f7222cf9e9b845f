"""Test helpers for terp-seed and for projects that test against it."""
