"""The page routes, one module per family of pages."""
