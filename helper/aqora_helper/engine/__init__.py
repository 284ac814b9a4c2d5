"""engine/: the session lifecycle (sources, vault, API client, settings, login flows).

Loaded only on a cache miss or by the CLI. May import fast/; never doors/ or cli/; no
client protocol knowledge here.
"""
