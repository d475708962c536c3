"""The national store: the catalogue of datasets and items, intake and retention."""
