"""The vocabulary of pupil records: codesets, UPNs, local authorities, census dates.

Reads only its own data files; no other I/O.
"""
