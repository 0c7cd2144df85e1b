"""Load a probe spec file into a ``ProbeSpec``, strictly.

Example::

    >>> spec = load_spec("probes/orders.yaml")
    >>> spec.verified_stages()
    ('api', 'dynamodb', 'event', 'courier')

Strict means: unknown fields, repeated keys, wrong types, missing required fields and out-of-range
values are all rejected. Raises a ``SpecError`` subclass whose message is one line naming the file, the
field path and what was expected, e.g.
``probes/x.yaml: slo.availability.objective: expected a number between 0 and 1, got 'high'``; malformed
YAML gives ``probes/x.yaml: line 3, column 7: malformed YAML: ...``.

Limitations: YAML anchors and merge keys (``<<``) are accepted, but the document they expand to may hold
at most ``MAX_EXPANDED_NODES`` values (a "billion laughs" spec nesting aliases is refused at once, before
it is expanded) and may not refer to itself; templates are checked for syntax only, since which
variables exist is known only when endpoint values are (see ``template`` and ``sample``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from chainprobe.spec.exceptions import SpecFileError, SpecSyntaxError
from chainprobe.spec.logs import read_logs
from chainprobe.spec.metric_math import read_metric_math
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.objectives import read_cloudwatch_publish, read_deadlines, read_slo
from chainprobe.spec.reader import Fields, Node
from chainprobe.spec.sections import read_api, read_courier, read_dynamodb, read_event, read_send

__all__ = ["MAX_EXPANDED_NODES", "load_spec", "parse_spec"]

MAX_EXPANDED_NODES = 100_000  # a real spec holds hundreds; aliases could expand a 1 KB file to billions

_NAME = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
_OPTIONAL_SECTIONS = (
    "description",
    "dynamodb",
    "event",
    "courier",
    "deadlines",
    "slo",
    "metric_math",
    "cloudwatch_publish",
    "logs",
)


def load_spec(path: str | os.PathLike[str]) -> ProbeSpec:
    """Read and validate the spec file at ``path``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecFileError(f"cannot read the spec file ({_os_reason(error)})", source=source) from error
    return parse_spec(text, source=source)


def parse_spec(text: str, *, source: str = "<spec>") -> ProbeSpec:
    """Validate spec text; ``source`` names it in errors."""
    return _build(Node(value=_parse_yaml(text, source), path="", source=source))


def _build(root: Node) -> ProbeSpec:
    if not isinstance(root.value, dict):
        root.wrong_type("a mapping at the top level (name, send, api, ...)")
    fields = Fields(root, required=("name", "send", "api"), optional=_OPTIONAL_SECTIONS)
    description = fields.optional("description")
    deadlines = read_deadlines(fields.optional("deadlines"))
    courier = _section(fields, "courier", read_courier)
    slo = fields.optional("slo")
    return ProbeSpec(
        name=fields.get("name").text(pattern=_NAME, expected="a name of letters, digits, '.', '_' or '-'"),
        description=description.text() if description else None,
        send=read_send(fields.get("send")),
        api=read_api(fields.get("api")),
        dynamodb=_section(fields, "dynamodb", read_dynamodb),
        event=_section(fields, "event", read_event),
        courier=courier,
        deadlines=deadlines,
        slo=read_slo(slo, deadlines, has_courier=courier is not None) if slo else None,
        metric_math=_section(fields, "metric_math", read_metric_math),
        cloudwatch_publish=_section(fields, "cloudwatch_publish", read_cloudwatch_publish),
        logs=_section(fields, "logs", read_logs),
    )


def _section[T](fields: Fields, key: str, reader: Callable[[Node], T]) -> T | None:
    node = fields.optional(key)
    return reader(node) if node is not None else None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key repeated in one mapping (PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            key = loader.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"repeated key {key!r}", key_node.start_mark
                )
            seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, source: str) -> object:
    loader = _StrictLoader(text)  # a SafeLoader subclass
    try:
        document = loader.get_single_node()
        if document is None:
            return None
        _check_expanded_size(document, source)
        return loader.construct_document(document)
    except RecursionError as error:
        raise SpecSyntaxError("malformed YAML: nested too deeply", source=source) from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = error.problem or error.context or "not YAML"
        raise SpecSyntaxError(f"{where}malformed YAML: {problem}", source=source) from error
    except yaml.YAMLError as error:
        raise SpecSyntaxError(f"malformed YAML: {error}", source=source) from error
    finally:
        loader.dispose()


def _check_expanded_size(root: yaml.Node, source: str) -> None:
    """Counts the values ``root`` expands to (an alias counts as a copy of its anchor's node), in time
    linear in the number of distinct nodes; raises when that passes ``MAX_EXPANDED_NODES`` or an alias
    refers to a node that contains it."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            if id(node) in open_nodes:
                raise SpecSyntaxError(
                    "malformed YAML: an alias refers to a value containing it", source=source
                )
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        open_nodes.discard(id(node))
        size = 1 + sum(sizes[id(child)] for child in children)
        if size > MAX_EXPANDED_NODES:
            raise SpecSyntaxError(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values: refused", source=source
            )
        sizes[id(node)] = size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _os_reason(error: OSError | UnicodeDecodeError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    return error.strerror or type(error).__name__
