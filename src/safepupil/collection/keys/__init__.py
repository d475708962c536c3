"""Keys: the custodian's pseudonymisation secret, the national service's encryption key
pair and each LA's signing key pair (docs/keys.md says who holds which).

Both sides use them: the LA tool pseudonymises, encrypts and signs; the national
intake verifies and decrypts. They sit under ``collection`` beside the submission
format (``collection.seal``) so that the national side (``store``) may import both
without breaking the one-way layering of packages.
"""
