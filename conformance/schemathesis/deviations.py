"""Where assocd departs from HubSpot's documents on purpose, as exclusion rules for Schemathesis.

Each rule matches one deviation and nothing else (a named field and the kind of value, or one
operation and one status with the body it must have), and names the docs/compat.md entry with
its evidence. A failure is dropped only when a rule matches it exactly; any other failure in the
same answer still fails the run. assocd's own /openapi.json declares these answers as they are
and is checked with no rule at all.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = {
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
}


def _validator_message(failure) -> str:
    """The validator's own one-line message (the rendered `message` adds the schema)."""
    return getattr(failure, "_raw_message", None) or failure.message


def _is_schema_error(failure) -> bool:
    return type(failure).__name__ == "JsonSchemaError"


@dataclass(frozen=True)
class FieldKind:
    """`field` carries a value of `kind` where the document declares `declared`."""

    field: str
    kind: str
    declared: str
    compat: str
    #: Only operations whose path starts with this (every operation when empty).
    paths: str = ""

    def describe(self) -> str:
        return f"`{self.field}` {self.kind} where the document says {self.declared}"

    def applies_to(self, template: str) -> bool:
        return template.startswith(self.paths)

    def matches(self, failure, case, response) -> bool:
        if not _is_schema_error(failure) or not self.applies_to(case.operation.path):
            return False
        path = list(failure.instance_path)
        schema_path = list(failure.schema_path)
        return (
            bool(path)
            and path[-1] == self.field
            and bool(schema_path)
            and schema_path[-1] == "type"
            and KINDS[self.kind](failure.instance)
            and f'is not of type "{self.declared}"' in _validator_message(failure)
        )


@dataclass(frozen=True)
class StatusBody:
    """`method path` answers `status` with a body of `body_schema` where the document
    declares another code (so the body was judged against the `default` error model)."""

    method: str
    path: str
    status: int
    body_schema: dict
    compat: str

    def describe(self) -> str:
        return f"{self.method} {self.path} answers {self.status} with the batch body"

    def matches(self, failure, case, response) -> bool:
        if not _is_schema_error(failure):
            return False
        if case.operation.method.upper() != self.method or case.operation.path != self.path:
            return False
        if response.status_code != self.status:
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        import jsonschema_rs  # Schemathesis's own validator; coverage.py imports this module without it

        return jsonschema_rs.validator_for(self.body_schema).is_valid(body)


_STANDARD_ERROR = {
    "type": "object",
    "required": ["status", "category", "message", "context", "errors", "links"],
}

#: HubSpot's batch body as the seed's reference page shows it for purge (200).
BATCH_BODY = {
    "type": "object",
    "required": ["status", "results", "startedAt", "completedAt"],
    "properties": {
        "status": {"enum": ["COMPLETE", "CANCELED", "PENDING", "PROCESSING"]},
        "results": {"type": "array"},
        "startedAt": {"type": "string"},
        "completedAt": {"type": "string"},
        "numErrors": {"type": "integer"},
        "errors": {"type": "array", "items": _STANDARD_ERROR},
    },
}

RULES = [
    # Plain association types have no label: the live service sends null; the documents type
    # `label` as a string.
    FieldKind("label", "null", "string", "Built-in association types (labels: null for plain types)"),
    # Record ids in answers are JSON numbers, as the live service sends them; the documents
    # type them as strings.
    FieldKind("toObjectId", "integer", "string", "Associations between records (Ids, §14.8)"),
    FieldKind("fromObjectId", "integer", "string", "Associations between records (Ids, §14.8)"),
    # batch/update's 207 names the error's subCategory as a string, as the webhooks-v3
    # document's own example does; its StandardError schema types subCategory as an object.
    FieldKind("subCategory", "string", "object", "Apps and the webhooks management API (batch/update)",
              paths="/webhooks/"),
    # Purge on the seed's path answers 200 with the batch body (the seed's reference page);
    # the schema-v4 document says 204.
    StatusBody(
        "POST",
        "/crm/associations/v4/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge",
        200,
        BATCH_BODY,
        "Paths and status codes (Batch purge, C5)",
    ),
]
