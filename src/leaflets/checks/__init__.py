"""The checks: small pure functions over a record, a leaflet or a built PDF, each returning its findings."""
