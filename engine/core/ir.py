"""The resolved expression IR: what a definition means once names and functions are resolved.

Nodes are frozen and compare by structure, not by position (spans are excluded from equality),
so two occurrences of `max(osi over entity)` are the same node. The plan relies on this to
compute a shared subexpression once. Each node caches its hash, because nodes nest deeply and
are used as dictionary keys throughout planning.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from kzf.dsl.diagnostics import Span
from kzf.engine.core.builtins import FUNCTIONS


class Type(StrEnum):
    NUMBER = "number"
    BOOL = "condition"
    TEXT = "text"
    HIERARCHY = "hierarchy"  # the name of a `hierarchy`, only an argument of rollup/complete


@dataclass(frozen=True)
class Node:
    type: Type = field(compare=False, kw_only=True)
    span: Span | None = field(compare=False, repr=False, kw_only=True, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._key()))

    def _key(self) -> tuple[object, ...]:
        raise NotImplementedError

    def __hash__(self) -> int:
        return int(self._hash)  # type: ignore[attr-defined]

    @property
    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, eq=True)
class Const(Node):
    value: float | str

    def _key(self) -> tuple[object, ...]:
        return ("const", self.value)

    __hash__ = Node.__hash__


@dataclass(frozen=True, eq=True)
class Param(Node):
    name: str

    def _key(self) -> tuple[object, ...]:
        return ("param", self.name)

    __hash__ = Node.__hash__


@dataclass(frozen=True, eq=True)
class Column(Node):
    """An input column of the data."""

    name: str

    def _key(self) -> tuple[object, ...]:
        return ("column", self.name)

    __hash__ = Node.__hash__


@dataclass(frozen=True, eq=True)
class Dim(Node):
    """The value of a panel dimension on each row (the entity's name, the year)."""

    name: str

    def _key(self) -> tuple[object, ...]:
        return ("dim", self.name)

    __hash__ = Node.__hash__


# Element-wise operators, by the name the backends dispatch on; the element-wise functions
# (abs, ln, if, coalesce, ...) are specified in engine/core/builtins.py.
OPERATORS = {
    "add", "sub", "mul", "div", "pow", "neg",
    "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not",
}  # fmt: skip
ELEMENTWISE = OPERATORS | set(FUNCTIONS)


@dataclass(frozen=True, eq=True)
class Op(Node):
    """An element-wise operation; `attrs` holds constant settings such as round's digits."""

    op: str
    args: tuple[Node, ...]
    attrs: tuple[object, ...] = ()

    def _key(self) -> tuple[object, ...]:
        return ("op", self.op, self.args, self.attrs)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return self.args


GROWTH = ("growth",)  # the attrs of the division growth() makes: x / lag(x), warned of a base < 0


def division_by_zero(node: Op) -> str:
    """KZF201's message for a division: growth() names its zero base."""
    if node.attrs == GROWTH:
        return "growth() from a zero base gave a missing value"
    return "division by zero gave a missing value"


NEGATIVE_BASE = (
    "growth() from a negative base: the rate's sign is not the direction of the change "
    "(-10 to 5 gives -150 %)"
)

AGGREGATES = (
    "sum", "mean", "min", "max", "count", "median", "std", "var", "skew", "kurt", "first", "last",
)  # fmt: skip


@dataclass(frozen=True, eq=True)
class Aggregate(Node):
    """AGG(arg over dim where cond): reduce across `dim` within each combination of the other
    dimensions, and broadcast the result back to every row of the group."""

    func: str
    arg: Node
    over: str
    where: Node | None

    def _key(self) -> tuple[object, ...]:
        return ("agg", self.func, self.arg, self.over, self.where)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,) if self.where is None else (self.arg, self.where)


@dataclass(frozen=True, eq=True)
class Rank(Node):
    """rank(arg over dim): 1 = largest within each group; ties share the lowest rank."""

    arg: Node
    over: str
    where: Node | None

    def _key(self) -> tuple[object, ...]:
        return ("rank", self.arg, self.over, self.where)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,) if self.where is None else (self.arg, self.where)


@dataclass(frozen=True, eq=True)
class Across(Node):
    """A score of each row that compares it with the other rows of its group across `over`,
    from several values (non-compensatory aggregations, engine/run/lower_pandas.py):

    * "copeland" (COINr's a_copeland): against every other row, the weight share of the
      values where it is higher (ties count half) decides a win (+1), a draw (0) or a loss
      (-1); the score is the sum;
    * "bod", benefit of the doubt (COINr's a_bod): each row's best score Σ wᵢxᵢ over the
      weights w ≥ 0 under which no row of the group scores above 1 (a linear programme per
      row); the weights given are not used, the data choose them.

    A large lead on one value does not buy back the others. Rows with a missing value get
    no score and are not compared."""

    func: str
    values: tuple[Node, ...]
    weights: tuple[Node, ...]
    over: str

    def _key(self) -> tuple[object, ...]:
        return ("across", self.func, self.values, self.weights, self.over)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (*self.values, *self.weights)


ACROSS = ("copeland", "bod")


@dataclass(frozen=True, eq=True)
class Shift(Node):
    """The value `k` time steps earlier (k > 0, lag) or later (k < 0, lead) within each entity."""

    arg: Node
    k: int

    def _key(self) -> tuple[object, ...]:
        return ("shift", self.arg, self.k)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


TRANSFORMS = (
    "fill_previous", "fill_next", "interpolate", "fill_mean", "fill_median", "winsorise", "treat",
    "treat_coinr", "boxcox",
)  # fmt: skip
TREATMENTS = ("winsorise", "treat", "treat_coinr")  # outlier treatments: a limit of points
LOG_FALLBACKS = ("treat", "treat_coinr", "boxcox")  # their values may leave the observed range


@dataclass(frozen=True, eq=True)
class Transform(Node):
    """Imputation or outlier treatment of `arg` within each group of the other dimensions,
    across `over` (the time dimension for fill_previous, fill_next and interpolate). Unlike an
    aggregate it changes only some values, and the backend reports which (KZF260-KZF262):
    nothing is imputed or treated silently. `limit` is winsorise's and treat's maximum number
    of points per group."""

    func: str
    arg: Node
    over: str
    where: Node | None
    limit: int = 0

    def _key(self) -> tuple[object, ...]:
        return ("transform", self.func, self.arg, self.over, self.where, self.limit)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,) if self.where is None else (self.arg, self.where)


@dataclass(frozen=True, eq=True)
class HierarchyRef(Node):
    """A hierarchy's name where rollup() or complete() takes it, possibly through a user
    function's parameter (`adds_up(x, h, tol) = ... rollup(x, h) ...`). Never a value."""

    name: str

    def _key(self) -> tuple[object, ...]:
        return ("hierarchy", self.name)

    __hash__ = Node.__hash__


@dataclass(frozen=True, eq=True)
class Rollup(Node):
    """The totals of a hierarchy of codes of the dimension `over`: on the row of each parent
    code, the sum of its children's values in the same combination of the other dimensions
    (missing unless every child has a value), and on every other row a missing value.
    With `fill` (complete()), a row keeps its own value and only a missing parent takes the
    sum, which the backend reports (KZF265). `rules` are (parent, children) pairs, all of one
    level when `fill` is set, so that a chain of such nodes fills totals bottom-up."""

    arg: Node
    over: str
    hierarchy: str
    rules: tuple[tuple[str, tuple[str, ...]], ...]
    fill: bool

    def _key(self) -> tuple[object, ...]:
        return ("rollup", self.arg, self.over, self.hierarchy, self.rules, self.fill)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


def postorder(
    root: Node,
    children: Callable[[Node], Iterable[Node]] | None = None,
    seen: Container[Node] = (),
    leaf: Callable[[Node], bool] | None = None,
) -> Iterator[Node]:
    """Each node under `root` once, after its children (left to right), without recursion:
    definitions may chain thousands deep. `children` replaces `node.children`; nodes in
    `seen` (done by an earlier walk) are skipped; a node for which `leaf` holds is not opened."""
    expand = children or (lambda n: n.children)
    emitted: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node in emitted or node in seen:
            continue
        if not ready and not (leaf is not None and leaf(node)):
            stack.append((node, True))
            pending = [c for c in expand(node) if c not in emitted and c not in seen]
            stack.extend((c, False) for c in reversed(pending))  # first child comes out first
            continue
        emitted.add(node)
        yield node


def columns_read(*roots: Node) -> list[str]:
    """The input columns read under `roots`, each once, in order of first appearance (left to
    right): what a definition needs from the data. Shared nodes are visited once, so this is
    linear in the size of the program even when definitions reuse each other heavily."""
    found: dict[str, None] = {}
    for node in preorder(*roots):
        if isinstance(node, Column):
            found[node.name] = None
    return list(found)


def preorder(*roots: Node) -> Iterator[Node]:
    """Each distinct node under `roots` once, parents before children, left to right, without
    recursion."""
    seen: set[Node] = set()
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(reversed(node.children))


# ---------------------------------------------------------------- trend()
# The kinds of trend line (engine/stats/trends.py fits them; docs/models.md).

KINDS = ("linear", "quadratic", "cubic", "exponential", "power", "logarithmic", "poly")
MAX_DEGREE = 6


@dataclass(frozen=True, eq=True)
class Trend(Node):
    """trend(arg, kind [, compat] where cond): a fitted curve along the time dimension."""

    arg: Node
    where: Node | None
    kind: str  # linear, poly, exponential, power, logarithmic
    degree: int  # for poly (linear = poly 1)
    compat: bool

    def _key(self) -> tuple[object, ...]:
        return ("trend", self.arg, self.where, self.kind, self.degree, self.compat)

    __hash__ = Node.__hash__

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,) if self.where is None else (self.arg, self.where)


def normalise_kind(name: str, degree: int | None) -> tuple[str, int]:
    """`quadratic` → ("poly", 2); `linear` → ("poly", 1); `poly(3)` → ("poly", 3)."""
    if name == "linear":
        return "poly", 1
    if name == "quadratic":
        return "poly", 2
    if name == "cubic":
        return "poly", 3
    if name in ("poly", "polynomial"):
        return "poly", degree or 2
    return name, 0


def describe_kind(kind: str, degree: int) -> str:
    if kind == "poly":
        return {1: "linear", 2: "quadratic", 3: "cubic"}.get(
            degree, f"polynomial of degree {degree}"
        )
    return kind
