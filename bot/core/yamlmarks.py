"""A YAML loader that remembers line numbers and refuses duplicate keys.

Mappings come back as :class:`MarkedDict` (``.line`` and ``.key_lines``), lists
as :class:`MarkedList` (``.line`` and ``.item_lines``), so the validator can
say ``knowledge/schemes.yaml:42`` for any field a clerk got wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class MarkedDict(dict):
    line: int = 0
    key_lines: dict[str, int]


class MarkedList(list):
    line: int = 0
    item_lines: list[int]


@dataclass(frozen=True)
class YamlProblem:
    line: int
    message: str


# libyaml's parser is about eight times faster than the pure-Python one, with the same line marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[YamlProblem] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            loader.problems.append(YamlProblem(key_node.start_mark.line + 1, "a key must be a plain word"))
            continue
        key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.problems.append(YamlProblem(
                line, f"field '{key}' appears twice in the same block (first on line {result.key_lines[key]})"))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode, deep: bool = False) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Dates and times stay text: the validator parses them and names the line when they are wrong.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)


def load(text: str) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; syntax errors become problems with a line number."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or "the file is not valid YAML"
        return None, [*loader.problems, YamlProblem(line, f"YAML syntax error: {what} (check indentation, colons and quotes)")]
    except yaml.YAMLError as exc:
        return None, [*loader.problems, YamlProblem(1, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    return data, loader.problems
