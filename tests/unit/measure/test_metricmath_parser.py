"""The metric-math parser: precedence, associativity, literals and the shape of its AST."""

import pytest

from chainprobe.measure.metricmath import ExpressionSyntaxError, Node, parse
from chainprobe.measure.metricmath.parser import (
    ArrayLiteral,
    Binary,
    Call,
    Keyword,
    Number,
    Reference,
    String,
    Unary,
    tokenize,
)


def show(node: Node) -> str:
    """A compact prefix rendering of an AST, positions left out."""
    match node:
        case Number(value=value):
            return f"{value:g}"
        case String(value=value):
            return f'"{value}"'
        case Keyword(name=name):
            return f":{name}"
        case Reference(id=reference):
            return reference
        case Unary(op=op, operand=operand):
            return f"({op} {show(operand)})"
        case Binary(op=op, left=left, right=right):
            return f"({op} {show(left)} {show(right)})"
        case Call(name=name, args=args):
            return f"({' '.join([name, *map(show, args)])})"
        case ArrayLiteral(items=items):
            return f"[{' '.join(map(show, items))}]"
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("expression", "tree"),
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c", "(* (/ a b) c)"),
        ("-2 ^ 2", "(- (^ 2 2))"),
        ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
        ("2 ^ -1", "(^ 2 (- 1))"),
        ("+a", "a"),
        ("--a", "(- (- a))"),
        ("a > 1 AND b < 2 OR NOT c", "(OR (AND (> a 1) (< b 2)) (NOT c))"),
        ("a && b || c", "(OR (AND a b) c)"),
        ("NOT a == 1", "(NOT (== a 1))"),
        ("a + 1 >= b * 2", "(>= (+ a 1) (* b 2))"),
        ("FILL(m1, REPEAT)", "(FILL m1 :REPEAT)"),
        ("METRICS()", "(METRICS)"),
        ("METRICS('err')", '(METRICS "err")'),
        ('METRICS("4xx")', '(METRICS "4xx")'),
        ("METRICS(\u201c4xx\u201d)", '(METRICS "4xx")'),
        ("SUM([METRICS('a'), METRICS('b')])", '(SUM [(METRICS "a") (METRICS "b")])'),
        ("MAX([m1], 1)", "(MAX [m1] 1)"),
        ("[]", "[]"),
        ("1.5e3 + .5 + 2.", "(+ (+ 1500 0.5) 2)"),
        ("total_Requests2", "total_Requests2"),
        ("1 - (FILL(a,0) + FILL(b,0)) / MAX([c], 1)", "(- 1 (/ (+ (FILL a 0) (FILL b 0)) (MAX [c] 1)))"),
    ],
)
def test_parse_tree(expression: str, tree: str) -> None:
    assert show(parse(expression)) == tree


def test_nodes_carry_their_offset() -> None:
    node = parse("m1 + FILL(m2, 0)")
    assert isinstance(node, Binary)
    assert (node.position, node.left.position, node.right.position) == (3, 0, 5)


def test_tokenize_ends_with_end_token() -> None:
    tokens = tokenize("m1>=2")
    assert [(t.kind, t.text, t.position) for t in tokens] == [
        ("NAME", "m1", 0),
        ("OP", ">=", 2),
        ("NUMBER", "2", 4),
        ("END", "", 5),
    ]


def test_syntax_error_message_quotes_expression_and_reason() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse("FILL(m1, 0")
    assert str(caught.value) == (
        "Syntax error at offset 10 in expression 'FILL(m1, 0': expected ')' to close '(' at offset 4, "
        "found end of expression"
    )
    assert (caught.value.position, caught.value.reason.startswith("expected ')'")) == (10, True)
