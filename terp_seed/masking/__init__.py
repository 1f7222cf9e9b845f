"""PII protection: the catalogue, keyed masking rules, in-place masking and the leak scan.

- :mod:`~terp_seed.masking.catalogue` reads the PII tags on the schema columns (the only source).
- :mod:`~terp_seed.masking.rules` holds one pure masking function per PII kind.
- :mod:`~terp_seed.masking.mask` masks a database in place, resumably, under the seed lock.
- :mod:`~terp_seed.masking.scan` looks for personal data that masking left behind.
- :mod:`~terp_seed.masking.run` runs masking as one locked, confirmed run, and the leak scan.
"""
