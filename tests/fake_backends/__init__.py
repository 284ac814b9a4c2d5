"""Keyring backends that misbehave on purpose, selected with PYTHON_KEYRING_BACKEND."""
