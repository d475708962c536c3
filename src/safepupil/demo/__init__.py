"""The demonstration flow: every step a newcomer needs to see, on synthetic data."""
