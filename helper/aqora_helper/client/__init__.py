"""The public Python API, re-exported lazily by `aqora_helper`: `get_token` (tokens.py),
`AqoraAuth` for requests (requests_auth.py) and `AqoraHttpxAuth` for httpx
(httpx_auth.py, with the `httpx` extra). Every failure is an `AqoraHelperError`.

A layer of its own: the standard library, fast/ and client/ (plus requests, httpx and
anyio in their own modules); never the engine, doors/, cli/ or setup/. Tokens come from
`fast.credential`, like every front door: a cached token costs two small file reads.
"""
