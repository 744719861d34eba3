"""A structural reader of TMDL, for validating generated files in tests.

It implements the grammar of the TMDL language reference, not Power BI's semantics:

- one tab per level; a child sits exactly one level below its parent, indentation is tabs;
- an object is declared as ``<type> <name>`` (name single-quoted, quotes doubled, when it holds
  ``.``, ``=``, ``:``, ``'`` or whitespace), optionally followed by ``= <default property>``;
  ``ref <type> <name>`` declares an ordering reference;
- a property is ``name: value`` on one line; a boolean property may be the bare name;
- an expression is ``= value`` on the declaration line, or ``=`` followed by lines indented
  deeper than the object's properties (for ``name =`` properties: deeper than the property);
- ``///`` lines directly above a declaration are its description.

Anything else raises TmdlSyntaxError naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OBJECT_TYPES = {
    "database",
    "model",
    "table",
    "column",
    "measure",
    "partition",
    "relationship",
    "expression",
    "annotation",
    "queryGroup",
    "hierarchy",
    "level",
    "role",
    "tablePermission",
    "culture",
    "perspective",
    "calculationGroup",
    "calculationItem",
    "extendedProperty",
}
_PROPERTY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$")
_EXPRESSION_PROPERTY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) =(?: (.*))?$")
_FLAG = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNQUOTED_NAME = re.compile(r"^[^\s'=:.]+")


class TmdlSyntaxError(ValueError):
    pass


@dataclass
class Node:
    kind: str  # object type, e.g. "table"; "ref" nodes are "ref table" etc.
    name: str
    depth: int
    line: int
    value: str | None = None  # the default property: single-line value or multi-line text
    description: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    children: list[Node] = field(default_factory=list)

    def objects(self, kind: str) -> list[Node]:
        return [child for child in self.children if child.kind == kind]


def read_name(text: str) -> tuple[str, str]:
    """(name, rest of the text) for a TMDL name at the start of ``text``."""
    if text.startswith("'"):
        index, name = 1, []
        while index < len(text):
            if text[index] == "'":
                if text[index + 1 : index + 2] == "'":
                    name.append("'")
                    index += 2
                    continue
                return "".join(name), text[index + 1 :]
            name.append(text[index])
            index += 1
        raise TmdlSyntaxError(f"unterminated quoted name in {text!r}")
    match = _UNQUOTED_NAME.match(text)
    if not match:
        raise TmdlSyntaxError(f"expected a name in {text!r}")
    return match.group(0), text[match.end() :]


def read_reference(text: str) -> tuple[str, str]:
    """``'Order Lines'.'Date Key'`` -> ("Order Lines", "Date Key")."""
    table, rest = read_name(text)
    if not rest.startswith("."):
        raise TmdlSyntaxError(f"expected Table.Column, got {text!r}")
    column, rest = read_name(rest[1:])
    if rest:
        raise TmdlSyntaxError(f"unexpected {rest!r} after {text!r}")
    return table, column


def _depth(line: str, where: str) -> tuple[int, str]:
    stripped = line.lstrip("\t")
    depth = len(line) - len(stripped)
    if stripped[:1].isspace():
        raise TmdlSyntaxError(f"{where}: indentation must be tabs")
    return depth, stripped


def parse(text: str, source: str = "<tmdl>") -> list[Node]:
    """The top-level objects of one TMDL document."""
    lines = text.split("\n")
    roots: list[Node] = []
    stack: list[Node] = []
    description: list[str] = []
    index = 0

    def expression_block(start: int, min_depth: int) -> tuple[str, int]:
        """Lines from ``start`` indented at least ``min_depth`` tabs (blank lines included)."""
        body, cursor = [], start
        while cursor < len(lines):
            raw = lines[cursor]
            if raw.strip() and len(raw) - len(raw.lstrip("\t")) < min_depth:
                break
            body.append(raw[min_depth:] if raw.strip() else "")
            cursor += 1
        while body and not body[-1]:
            body.pop()
        if not body:
            raise TmdlSyntaxError(f"{source}:{start}: expected an indented expression")
        # Outer indentation beyond the required level is stripped too (language reference).
        extra = min(len(line) - len(line.lstrip("\t")) for line in body if line)
        return "\n".join(line[extra:] for line in body), cursor

    while index < len(lines):
        raw, number = lines[index], index + 1
        where = f"{source}:{number}"
        index += 1
        if not raw.strip():
            if description:
                raise TmdlSyntaxError(f"{where}: a description must touch its object")
            continue
        depth, content = _depth(raw, where)
        while stack and stack[-1].depth >= depth:
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is not None and depth != parent.depth + 1:
            raise TmdlSyntaxError(f"{where}: skips a level below {parent.kind} {parent.name!r}")
        if parent is None and depth != 0:
            raise TmdlSyntaxError(f"{where}: indented line outside any object")
        if content.startswith("///"):
            description.append(content[3:].strip())
            continue
        keyword = content.split(" ", 1)[0]
        if keyword == "ref" or keyword in OBJECT_TYPES:
            kind, rest = keyword, content[len(keyword) :].lstrip(" ")
            if keyword == "ref":
                ref_type, _, rest = rest.partition(" ")
                kind = f"ref {ref_type}"
            name, rest = read_name(rest)
            node = Node(kind, name, depth, number, description="\n".join(description) or None)
            description = []
            if rest.strip() == "=":
                node.value, index = expression_block(index, depth + 2)
            elif rest.startswith(" = "):
                node.value = rest[3:]
            elif rest:
                raise TmdlSyntaxError(f"{where}: unexpected {rest!r} after {kind} {name!r}")
            (parent.children if parent else roots).append(node)
            stack.append(node)
            continue
        if description:
            raise TmdlSyntaxError(f"{where}: a description must precede an object")
        if parent is None:
            raise TmdlSyntaxError(f"{where}: property outside any object")
        if match := _PROPERTY.match(content):
            name, value = match.group(1), match.group(2) or ""
            if name in parent.properties or name in parent.flags:
                raise TmdlSyntaxError(f"{where}: {name} set twice on {parent.name!r}")
            parent.properties[name] = value.strip()
        elif match := _EXPRESSION_PROPERTY.match(content):
            name = match.group(1)
            if match.group(2) is not None:
                parent.expressions[name] = match.group(2)
            else:
                parent.expressions[name], index = expression_block(index, depth + 1)
        elif _FLAG.match(content):
            if content in parent.flags or content in parent.properties:
                raise TmdlSyntaxError(f"{where}: {content} set twice on {parent.name!r}")
            parent.flags.add(content)
            # A flag may hold child settings (dataAccessOptions); they are read as flags too.
            flag_node = Node("setting", content, depth, number)
            stack.append(flag_node)
        else:
            raise TmdlSyntaxError(f"{where}: cannot read {content!r}")
    if description:
        raise TmdlSyntaxError(f"{source}: description at the end of the document")
    return roots
