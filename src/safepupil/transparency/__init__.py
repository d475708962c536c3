"""Transparency for the public and for pupils: the public register of data uses, "who
used my data" through one-time access codes, and privacy notices per LA.

Every function here reads the control plane (and, for a pupil's own page, the store)
on each call, so what it shows follows releases as they happen. Each page's function
returns a frozen dataclass with ``to_dict()``: the JSON twin of the page.
"""
