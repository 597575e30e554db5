"""The backend-neutral plan: a DAG of column operations in the order they can be computed.

Because IR nodes compare by structure, building the plan through a dictionary keyed by node
merges every repeated subexpression (across definitions too) into one step: `max(osi over
entity)` used four times is computed once. Each step knows its last consumer, so a backend can
release intermediate columns early when memory matters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kzf.engine.core import ir


@dataclass(frozen=True)
class Step:
    id: int
    node: ir.Node
    inputs: tuple[int, ...]  # step ids of the node's children, in order


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    outputs: dict[str, int]  # result name → step id
    last_use: dict[int, int]  # step id → id of the last step that reads it
    dims: tuple[str, ...]
    time_dim: str

    def step_of(self, node: ir.Node) -> Step:
        for s in self.steps:
            if s.node == node:
                return s
        raise KeyError(node)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.node.name for s in self.steps if isinstance(s.node, ir.Column))

    @property
    def row_wise(self) -> bool:
        """Whether every value comes from its own row alone: no aggregate, rank, lag,
        transform or trend, and no dim read as a value. Such a plan gives the same results
        whatever the order of the rows and whether their keys repeat."""
        return all(isinstance(s.node, ir.Const | ir.Param | ir.Column | ir.Op) for s in self.steps)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(s.node.name for s in self.steps if isinstance(s.node, ir.Param))


def build_plan(roots: Mapping[str, ir.Node], dims: Iterable[str], time_dim: str) -> Plan:
    ids: dict[ir.Node, int] = {}
    steps: list[Step] = []

    def visit(root: ir.Node) -> int:
        for node in ir.postorder(root, seen=ids):
            ids[node] = len(steps)
            steps.append(Step(len(steps), node, tuple(ids[c] for c in node.children)))
        return ids[root]

    outputs = {name: visit(node) for name, node in roots.items()}
    last_use: dict[int, int] = {}
    for step in steps:
        for i in step.inputs:
            last_use[i] = step.id
    for sid in outputs.values():
        last_use[sid] = len(steps)  # outputs live to the end
    return Plan(tuple(steps), outputs, last_use, tuple(dims), time_dim)
