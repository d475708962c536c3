"""safepupil: a Five Safes research data service for pupil records in England."""

__version__ = "0.1.0"
