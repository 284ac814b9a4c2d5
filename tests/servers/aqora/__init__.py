"""A local stand-in for the aqora.io API, following /work/shared/docs/aqora-api.md.

One port serves `POST /graphql` (GraphQL over HTTP), the `graphql-transport-ws`
websocket at `/graphql` (the `oauth2Redirect` subscription of the browser login), and
`GET /oauth2/authorize?...` (the "browser": send `X-Test-User: alice` to approve).

    with AqoraServer() as aqora:          # user alice / pw
        aqora.url                         # http://127.0.0.1:PORT
        aqora.is_valid_access_token(tok)  # thread-safe, for the other test servers

Every document is validated against aqora's real schema (graphql-core) and answered by
the handler of its operation name. The server runs aiohttp in its own event loop on a
background thread. Its state (users, sessions, tokens, counters) lives on the object and
survives stop()/start(), which re-binds the same port ("the API was down for a moment").

    schema.py   the real schema (aqora-schema.graphql): parse, validate, run
    answers.py  one handler per operation name the helper sends
    state.py    users, sessions, rotating single-use refresh tokens
    browser.py  the signed authorization URL and the subscriptions waiting for approval
    faults.py   fault modes and other misbehaviour on request
    ws.py       the graphql-transport-ws websocket
    server.py   AqoraServer: the aiohttp app, start/stop, POST /graphql

Standalone: `cd tests && python -m servers.aqora [--port N] [--lifetime S]`.
"""

from .server import AqoraServer

__all__ = ["AqoraServer"]
