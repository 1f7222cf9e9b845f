"""Data integrity validation: before insert, after every seed step, and on demand.

- ``fit.live_chunk_check`` checks each chunk of generated rows against the live columns before
  the loader sends it.
- ``chunks.ChunkFindings`` runs the row-local rules over each chunk the loader has just written
  (while its rows are still in memory), and ``runner.check_seeded`` runs every other rule over
  the rows one seed step wrote, inside its transaction, and fails the step when any of them
  breaks a rule.
- ``runner.validate`` runs the rules over the whole database or one table
  (``terp-seed validate``).

The rules are data, in one list: ``rules.RULES`` (see ``docs/validation.md``). Each module is
imported by its own name; this package imports none of them.
"""
