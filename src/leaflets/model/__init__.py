"""The records and what they are read with: YAML that keeps line numbers, validation, the one walk over a
record's prose, and the record, clinic, approval and policy models."""
