"""Safe people and safe projects: accounts, roles, accreditation, API tokens, project
applications, two-person approval, the access policy, and the check every use of data
passes (``authorise.authorise_query``). Service functions live in ``service``; every
change they make is recorded in the audit log in the same transaction.
"""
