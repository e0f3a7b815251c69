"""Checks and scalars of our own for the schemathesis run (.ci/schemathesis.sh).

Schemathesis' own GraphQL check counts every error raised in a resolver as a server
error, FORBIDDEN and NOT_FOUND included; our contract is narrower and stricter: no
5xx, every error with a known `extensions.code`, none of them INTERNAL.
"""

from hypothesis import strategies as st

import schemathesis
from schemathesis.graphql import nodes

CODES = {"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "INTERNAL"}

schemathesis.graphql.scalar("NaiveDate", st.dates().map(lambda day: nodes.String(day.isoformat())))
schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(
        lambda moment: nodes.String(moment.isoformat())
    ),
)


@schemathesis.check
def no_server_error(ctx, response, case):
    """Nothing the client sends makes the server fail."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")


@schemathesis.check
def every_error_has_a_code(ctx, response, case):
    """Every GraphQL error carries a known extensions.code (docs/api.md "Errors"), none is
    INTERNAL, and every answer is JSON: a refusal must still be readable."""
    try:
        body = response.json()
    except Exception as err:  # noqa: BLE001 - any parse failure is the finding
        raise AssertionError(f"HTTP {response.status_code}: not JSON ({err})") from err
    answers = body if isinstance(body, list) else [body]
    for answer in answers:
        for error in answer.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code not in CODES:
                raise AssertionError(f"an error without a known extensions.code: {error}")
            if code == "INTERNAL":
                raise AssertionError(f"an INTERNAL error: {error}")
