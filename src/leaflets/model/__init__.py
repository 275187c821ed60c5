"""The records and what they are read with: YAML that keeps line numbers, validation, the record, clinic, approval and policy models."""
