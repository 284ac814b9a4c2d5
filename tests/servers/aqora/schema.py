"""The real aqora schema: every document is parsed and validated against it, then run.

`aqora-schema.graphql` beside this file is aqora's published schema (the official CLI's
`schema.graphql`, copied from /work/shared/docs/aqora-schema.graphql). A document the
real server would reject is rejected here the way a GraphQL server does: an answer with
an `errors` array and no data.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
)

SCHEMA_FILE = Path(__file__).with_name("aqora-schema.graphql")


@functools.cache
def schema() -> GraphQLSchema:
    """The schema, built once."""
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


class Rejected(Exception):
    """A request refused before it ran; `errors` is the answer's `errors` array."""

    def __init__(self, *errors: dict[str, Any]) -> None:
        super().__init__(errors[0]["message"] if errors else "rejected")
        self.errors = list(errors)

    @classmethod
    def because(cls, message: str) -> Rejected:
        return cls({"message": message})


@dataclass(frozen=True)
class Document:
    """A valid document and the one operation of it to run."""

    ast: DocumentNode
    operation: OperationDefinitionNode

    @property
    def name(self) -> str | None:
        return self.operation.name.value if self.operation.name else None

    @property
    def kind(self) -> str:
        """query, mutation or subscription."""
        return self.operation.operation.value

    def root_fields(self) -> set[str]:
        """The root fields selected directly ("..." for a fragment at the root)."""
        return {
            sel.name.value if isinstance(sel, FieldNode) else "..."
            for sel in self.operation.selection_set.selections
        }


@functools.lru_cache(maxsize=64)  # the helper's documents are constants: check each once
def check(query: str, operation_name: str | None = None) -> Document:
    """Parse and validate `query`; pick the operation named (or the only one)."""
    try:
        ast = parse(query)
    except GraphQLError as e:
        raise Rejected(e.formatted) from None
    errors = validate(schema(), ast)
    if errors:
        raise Rejected(*(e.formatted for e in errors))
    operation = get_operation_ast(ast, operation_name)
    if operation is None:
        if operation_name:
            raise Rejected.because(f"Unknown operation named '{operation_name}'.")
        raise Rejected.because("Must provide operation name if query contains multiple operations.")
    return Document(ast, operation)


async def run(
    document: Document, root: dict[str, Any], context: Any, variables: dict[str, Any] | None
) -> dict[str, Any]:
    """Run the operation once; the answer (`data`, and `errors` if any). A resolver
    exception other than a GraphQLError propagates: a stand-in bug or a dropped request
    must not turn into a polite answer."""
    result = execute(
        schema(),
        document.ast,
        root_value=root,
        context_value=context,
        variable_values=variables,
        operation_name=document.name,
    )
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    for error in result.errors or []:
        cause = error.original_error
        if cause is not None and not isinstance(cause, GraphQLError):
            raise cause
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [e.formatted for e in result.errors]
    return answer
