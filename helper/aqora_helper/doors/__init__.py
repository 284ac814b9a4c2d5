"""doors/: the four front doors (git, docker, keyring backend, `aqora-helper token`).

Each translates its client's protocol to one `fast.credential` call and back. Imports
only fast/ and the standard library (the keyring backend also imports `keyring`); no
token logic here.
"""
