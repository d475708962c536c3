"""The LA side: read a census return, validate it, pseudonymise it, aggregate the
statistics-only items and seal the submission. Runs at the LA; nothing identifying
leaves it."""
