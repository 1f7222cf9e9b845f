"""Seed operations: apply and revert a plan, rollback, backup and restore, status as data."""
