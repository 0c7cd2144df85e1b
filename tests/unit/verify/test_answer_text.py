"""A bad API answer's details carry the body's text: bounded, secrets redacted (``judge_api``)."""

from __future__ import annotations

import pytest

from chainprobe.ledger import FailureClass
from chainprobe.spec import parse_spec
from chainprobe.verify.answer_text import MAX_ANSWER_CHARS, answer_excerpt, redact, secret_values
from chainprobe.verify.verdict import judge_api

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", payload: {customerId: c-1}, order_id_path: orderId}
api:
  expected_status: [201, 202]
  checks:
    - {path: $.status, equals: CREATED}
""",
    source="shop.yaml",
)
KEY = "k-live-0123456789"
VARIABLES = {"api_url": "http://api", "api_key": KEY, "order_id": "o-1"}
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(autouse=True)
def aws_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.delenv("CHAINPROBE_API_KEY", raising=False)


@pytest.mark.parametrize(
    ("status", "body", "failure", "details"),
    [
        (
            200,
            {"error": "quota exceeded"},
            FailureClass.HTTP_2XX_ERROR_BODY,
            'API answered 200, expected 201 or 202; the body: {"error": "quota exceeded"}',
        ),
        (
            201,
            {"status": "FAILED", "reason": "no stock"},
            FailureClass.HTTP_2XX_ERROR_BODY,
            "$.status: expected 'CREATED', got 'FAILED'; "
            'the body: {"status": "FAILED", "reason": "no stock"}',
        ),
        (
            502,
            {"message": "event publish failed"},
            FailureClass.HTTP_5XX,
            'API answered 502; the body: {"message": "event publish failed"}',
        ),
        (
            503,
            "Service Unavailable",
            FailureClass.HTTP_5XX,
            "API answered 503; the body: Service Unavailable",
        ),
        (400, {"message": "amount must be > 0"}, FailureClass.HTTP_4XX, None),
        (500, None, FailureClass.HTTP_5XX, "API answered 500"),
        (500, "", FailureClass.HTTP_5XX, "API answered 500"),
    ],
)
def test_a_bad_answer_says_what_its_body_said(
    status: int, body: object, failure: FailureClass, details: str | None
) -> None:
    judged = judge_api(SPEC.api, status, body, VARIABLES)
    assert judged is not None and judged.failure is failure
    expected = details or 'API answered 400; the body: {"message": "amount must be > 0"}'
    assert judged.details == expected


def test_a_good_answer_has_no_details() -> None:
    assert judge_api(SPEC.api, 201, {"status": "CREATED"}, VARIABLES) is None


def test_secrets_in_the_body_are_redacted_before_it_is_cut() -> None:
    echoed = {"error": f"forbidden for key {KEY}", "debug": f"secret={AWS_SECRET}", "pad": "p" * 500}
    judged = judge_api(SPEC.api, 200, echoed, VARIABLES)
    assert judged is not None and judged.details is not None
    assert KEY not in judged.details and AWS_SECRET not in judged.details
    assert KEY[:8] not in judged.details  # not even the part before a cut
    assert "forbidden for key ***" in judged.details and "secret=***" in judged.details
    said = judged.details.split("; the body: ", 1)[1]
    assert len(said) == MAX_ANSWER_CHARS and said.endswith("…")


def test_a_secret_cut_in_half_by_the_bound_is_still_redacted() -> None:
    body = "x" * (MAX_ANSWER_CHARS - 5) + KEY + "y" * 50
    said = answer_excerpt(body, secrets=[KEY])
    assert said is not None and KEY[:4] not in said and said.endswith("…")


def test_the_secret_values_come_from_the_spec_variables_and_the_environment() -> None:
    env = {"CHAINPROBE_API_KEY": "env-key-1234", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "HOME": "/root"}
    found = secret_values({"api_key": KEY, "table": "Orders"}, environ=env)
    assert set(found) == {KEY, "env-key-1234", "AKIAEXAMPLE"}
    assert secret_values({"api_key": "abc"}, environ={}) == []  # too short to be a secret


def test_redact_replaces_the_longer_secret_first() -> None:
    assert redact("token abcd-efgh", sorted(["abcd", "abcd-efgh"], key=len, reverse=True)) == "token ***"


def test_a_multi_line_body_is_one_line() -> None:
    assert answer_excerpt("line one\n  line two\r\n", secrets=[]) == "line one line two"
