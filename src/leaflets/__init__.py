"""leaflets: print-ready, localized patient-education leaflets from YAML procedure records."""

__version__ = "0.1.0"
