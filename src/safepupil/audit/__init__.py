"""The audit log: every event of the service (sign-in, token use, query, release,
refusal, approval, intake, key use, changes to people and projects) appended through one
function, ``log.record``, to a hash-chained table in the control plane.

The log is append-only (database triggers refuse UPDATE and DELETE) and tamper-evident
(each entry's hash covers the one before it); ``verify.verify_log`` says which entry
first fails and how. Payloads hold ids and counts only, never a pupil-level value.
"""
