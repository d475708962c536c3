"""The query model and its front ends: what a researcher may ask of the national store.

Researchers write a query with the Python builder (``builder``) or restricted SQL
(``sql``); both produce the same frozen ``model.Query``, checked against the
catalogue. ``restriction.restrict`` clears it for a project; an engine runs it.
"""
