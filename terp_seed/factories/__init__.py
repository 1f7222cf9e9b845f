"""Factories: pure row generators (seed in, rows out), one module per entity group."""
