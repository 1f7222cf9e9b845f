"""terp-seed's own tables, one owner module each: the ledger, the audit trail, the layout
version, and the upgrades between layouts."""
