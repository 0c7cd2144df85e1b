"""YAML aliases are expanded within bounds: a "billion laughs" spec is refused before it is expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.spec import SpecSyntaxError, load_spec, parse_spec
from chainprobe.spec.loader import MAX_EXPANDED_NODES

ORDERS = Path(__file__).resolve().parents[3] / "probes" / "orders.yaml"


def laughs(levels: int, width: int = 9) -> str:
    """``levels`` lists of ``width`` aliases each to the one before: ``width ** levels`` leaves."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\nname: bomb\n"


def test_nine_levels_of_aliases_are_refused_naming_the_file(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs(9))
    assert len(bomb.read_bytes()) < 1024
    with pytest.raises(SpecSyntaxError) as raised:
        load_spec(bomb)
    assert str(raised.value) == (
        f"{bomb}: YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values: refused"
    )


@pytest.mark.parametrize(
    ("levels", "width", "refused"),
    [
        (5, 9, False),  # 9**5 = 59,049 leaves (+ lists) stays under the bound
        (6, 9, True),  # 9**6 = 531,441 passes it
        # root 1 + 4 keys + name 1 + l0 (1 + w) + l1 (1 + w * l0) + l2 (1 + w * l1):
        (3, 45, False),  # 1 + 4 + 1 + 46 + 2,071 + 93,196 = 95,319 values
        (3, 46, True),  # 1 + 4 + 1 + 47 + 2,163 + 99,499 = 101,715 values
    ],
)
def test_the_bound_counts_the_expanded_document(levels: int, width: int, refused: bool) -> None:
    text = laughs(levels, width)
    if refused:
        with pytest.raises(SpecSyntaxError, match="YAML aliases expand"):
            parse_spec(text)
    else:  # expanded fine; refused later only because it is not a probe spec
        with pytest.raises(Exception) as raised:
            parse_spec(text)
        assert "YAML aliases expand" not in str(raised.value)


@pytest.mark.parametrize("text", ["a: &a [*a]", "x: &x {y: *x}"])
def test_an_alias_inside_its_own_anchor_is_refused(text: str) -> None:
    with pytest.raises(SpecSyntaxError, match="an alias refers to a value containing it"):
        parse_spec(text)


def test_deep_nesting_is_one_line_not_a_recursion_error() -> None:
    with pytest.raises(SpecSyntaxError, match="nested too deeply"):
        parse_spec("[" * 5000)


def test_ordinary_anchors_and_merge_keys_still_load() -> None:
    text = ORDERS.read_text().replace("send:\n", "defaults: &h {content-type: application/json}\nsend:\n", 1)
    assert "defaults" in text  # an unknown top-level field: refused for that reason, not for the aliases
    with pytest.raises(Exception, match="unknown field"):
        parse_spec(text)
    spec = parse_spec(ORDERS.read_text().replace("    content-type: application/json", "    <<: {a: b}"))
    assert spec.send.headers == {"a": "b"}
