"""Every GraphQL document the helper sends is valid against aqora's real schema, and the
stand-in answers each one.

The stand-in refusing invalid documents over HTTP: tests/e2e/harness/test_standin_schema.py.
"""

from __future__ import annotations

import re

import graphql

from aqora_helper.engine import api, browser_login
from servers.aqora.answers import OPERATIONS
from servers.aqora.schema import SCHEMA_FILE

OPERATION = re.compile(r"\s*(query|mutation|subscription)\s+(\w+)")


def helper_documents() -> dict[str, str]:
    """Every GraphQL document among the helper's module-level strings, by operation name."""
    found = {}
    for module in (api, browser_login):
        for value in vars(module).values():
            if isinstance(value, str) and (m := OPERATION.match(value)):
                found[m.group(2)] = value
    return found


def test_every_helper_document_is_valid_against_the_real_schema() -> None:
    schema = graphql.build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    documents = helper_documents()
    assert set(documents) == set(OPERATIONS)  # and the stand-in answers each one
    for name, text in documents.items():
        assert graphql.validate(schema, graphql.parse(text)) == [], name
