"""engine/: the session lifecycle (sources, vault, API client, settings, login flows).

Loaded only on a cache miss or by the CLI. May import fast/; never doors/, cli/ or setup/; no
client protocol knowledge here.
"""
