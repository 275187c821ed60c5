"""Translation: Babel catalogs, the YAML extractor, a leaflet's completeness per language, the termbase."""
