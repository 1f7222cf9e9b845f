"""The database: where it is, how terp-seed connects, what its errors mean, and per-dialect
differences."""
