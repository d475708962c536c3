"""The safepupil command line: thin commands that call the services."""
