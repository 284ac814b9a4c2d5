"""The stand-in speaks aqora's real schema: every document the helper sends is valid
against it, and the stand-in refuses an invalid document the way a GraphQL server does."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from aqora_helper.engine import api, browser_login
from servers.aqora import AqoraServer


def post(aqora: AqoraServer, query: str, variables: Any = None, name: str | None = None) -> Any:
    body = {"query": query, "variables": variables or {}, "operationName": name}
    r = requests.post(
        f"{aqora.url}/graphql", json=body, headers={"Origin": aqora.url}, timeout=5
    )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    ("query", "variables", "says"),
    [
        ("query ViewerInfo { viewer { id password } }", None, "password"),  # no such field
        ("query ViewerInfo { viewer { id }", None, "Syntax Error"),
        (api.REFRESH, {"refresh_token": 5, "client_id": "c"}, "refresh_token"),  # a number
        (api.REFRESH, {"client_id": "c"}, "refresh_token"),  # a required variable missing
        (api.REFRESH.replace("refreshToken:", "token:"), None, "Oauth2RefreshInput"),
        (api.VIEWER.replace("query", "mutation"), None, "viewer"),  # not a mutation field
    ],
)
def test_an_invalid_document_gets_an_errors_array(
    aqora: AqoraServer, query: str, variables: Any, says: str
) -> None:
    before = aqora.issued_tokens()
    answer = post(aqora, query, variables)
    assert answer["data"] is None
    assert answer["errors"] and says in answer["errors"][0]["message"]
    assert aqora.issued_tokens() == before


def test_a_valid_document_the_stand_in_does_not_serve_is_refused(aqora: AqoraServer) -> None:
    other = "query Other { viewer { id } }"  # valid against the schema, not the helper's
    answer = post(aqora, other)
    assert answer["data"] is None and "Other" in answer["errors"][0]["message"]
    both = f"{api.VIEWER}\n{other}"  # two operations: the name picks one
    assert post(aqora, both)["errors"][0]["message"].startswith("Must provide operation name")
    assert post(aqora, both, name="Nope")["errors"][0]["message"] == (
        "Unknown operation named 'Nope'."
    )
    assert post(aqora, both, name="ViewerInfo")["errors"][0]["extensions"] == {
        "code": "INVALID_AUTHORIZATION"  # ViewerInfo ran: no token, no session
    }


def test_an_aliased_fragment_document_is_answered_as_asked(aqora: AqoraServer) -> None:
    query = """mutation LoginPageUserMutation($input: LoginUserInput!) {
      me: loginUser(input: $input) { ...Edge }
    }
    fragment Edge on UserEdge { node { who: username __typename } }"""
    answer = post(aqora, query, {"input": {"usernameOrEmail": "alice", "password": "pw"}})
    assert answer == {"data": {"me": {"node": {"who": "alice", "__typename": "User"}}}}


def test_an_invalid_subscription_gets_an_error_message(aqora: AqoraServer) -> None:
    query = browser_login.SUBSCRIPTION.replace("{ code }", "{ code state }")
    with connect(aqora.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(5)) == {"type": "connection_ack"}
        payload = {"query": query, "variables": {"authUrl": "x", "signature": "y"}}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = json.loads(ws.recv(5))
    assert message["type"] == "error" and message["id"] == "1"
    assert "state" in message["payload"][0]["message"]
    assert aqora.pending_authorizations() == []
