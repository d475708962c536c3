"""The HTTP service: a JSON API under /api/v1 and server-rendered pages, one app."""
