"""The pipeline for one leaflet and the batch around it: cache, manifest, worker pool, Dask, locks, archive."""
