"""Loading a custom dataset from a CSV file: checked, then loaded with provenance."""
