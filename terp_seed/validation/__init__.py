"""Data integrity validation: before insert, after every seed step, and on demand.

- :func:`live_chunk_check` checks each chunk of generated rows against the live columns
  before the loader sends it.
- :class:`ChunkFindings` runs the row-local rules over each chunk the loader has just written
  (while its rows are still in memory), and :func:`check_seeded` runs every other rule over the
  rows one seed step wrote, inside its transaction, and fails the step when any of them breaks
  a rule.
- :func:`validate` runs the rules over the whole database or one table (``terp-seed validate``).

The rules are data, in one list: :data:`RULES` (see ``docs/validation.md``).
"""

from __future__ import annotations

from terp_seed.validation.chunks import ChunkFindings
from terp_seed.validation.fit import live_chunk_check
from terp_seed.validation.rules import RULES, Rule
from terp_seed.validation.runner import RuleResult, check_seeded, select_rules, validate

__all__ = [
    "RULES",
    "ChunkFindings",
    "Rule",
    "RuleResult",
    "check_seeded",
    "live_chunk_check",
    "select_rules",
    "validate",
]
