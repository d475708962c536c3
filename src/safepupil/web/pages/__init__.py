"""Server-rendered pages, one module per family; each page has a JSON twin."""
