"""JSON-stat 2.0 (https://json-stat.org/full/) as a cube: dimensions, categories and cells.

JSON-stat is what statistics offices' APIs answer (Eurostat, Statistics Norway, the OECD's
samples): a dataset names its dimensions (`id`, `size`), lists each one's categories in
order (`dimension.<id>.category.index`, an array or an object of positions) and gives the
values in row-major order ("what does not change, first"), as a dense array with nulls or,
for a sparse cube, as an object of positions. `parse` checks all of that and returns a
`Cube`; `kzf.engine.io.readers` turns the cube into a long table, one row per cell.

A hand-written reader and not `pyjstat`: the format is one row-major index over the
categories, which numpy computes (`Cube.coordinates`), and a reader of our own can name the
exact key or position that is wrong in a KZF106 message instead of passing a library's
exception on. Also read: a `collection` embedding one dataset and a JSON-stat 1.x bundle
of one dataset (`id`, `size` and `role` inside `dimension`); more than one is refused,
naming them, because one file is one panel.

Positions are 0-based as in the file (`"value": {"3": 87.5}` is the fourth cell); the
reader numbers rows by position + 1.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kzf.dsl.diagnostics import DataError, DataLocation, data_error
from kzf.engine.core.periods import is_time_name

# Above this many cells a cube cannot be indexed with int64 positions (np.unravel_index).
MAX_CELLS = 2**62
_SPEC = "https://json-stat.org/full/"
_NOT_JSONSTAT = f"kzf reads a '.json' file as JSON-stat 2.0 ({_SPEC}); save other JSON as CSV"


@dataclass(frozen=True)
class Cube:
    """One JSON-stat dataset, checked.

    `categories[d]` are the category ids of dimension `ids[d]` in index order. The cells
    listed are those of `positions` (every cell of a dense `value` array, only the listed
    ones of a sparse object), with `values[k]` the text of the cell at `positions[k]` ("" for
    null). `cell_flags[k]` is the status of the cell at `positions[k]` ("" for none; a
    missing value's status, Eurostat's `c` confidential, flags no figure, so it is left
    out), `flags` counts them, and `status_labels` says what
    they mean when the file does. `time` holds the dimensions of role time (or, when the
    dataset gives no roles, the ones named like time: Eurostat's `time`).
    """

    ids: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    positions: np.ndarray
    values: list[str]
    flags: Mapping[str, int]
    cell_flags: tuple[str, ...]
    status_labels: Mapping[str, str]
    time: tuple[str, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.categories)

    def coordinates(self) -> list[np.ndarray]:
        """The category id of each listed cell, per dimension: the row-major index undone."""
        if not self.ids:
            return []
        index = np.unravel_index(self.positions, self.sizes)
        return [
            np.asarray(cats, dtype=object)[i]
            for cats, i in zip(self.categories, index, strict=True)
        ]


def parse(text: str, source: str) -> Cube:
    """The one dataset of a JSON-stat document, or KZF106 saying what is wrong and where."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(
            source, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise _error(source, "not valid JSON: nested too deeply") from None
    dataset, legacy = _the_dataset(doc, source)
    return _cube(dataset, legacy, source)


def _error(source: str, message: str, *notes: str) -> DataError:
    return data_error("KZF106", message, DataLocation(source), *notes)


def _the_dataset(doc: object, source: str) -> tuple[dict[str, object], bool]:
    """The dataset a document holds, and whether it is laid out as JSON-stat 1.x."""
    if not isinstance(doc, dict):
        raise _error(
            source,
            f"not a JSON-stat dataset: the file holds a JSON {_kind(doc)}, not an object",
            _NOT_JSONSTAT,
        )
    kind = doc.get("class")
    if kind == "dataset":
        return doc, False
    if kind == "collection":
        return _from_collection(doc, source), False
    if kind == "dimension":
        raise _error(
            source, "a JSON-stat dimension, not a dataset: it holds categories but no values"
        )
    if kind is not None:
        raise _error(
            source,
            f"unknown JSON-stat class {kind!r}: kzf reads class 'dataset' (or a collection "
            "or bundle holding one dataset)",
        )
    bundle = {k: v for k, v in doc.items() if isinstance(v, dict) and "dimension" in v}
    if bundle and "dimension" not in doc:  # JSON-stat 1.x: {"name": {dataset}, ...}
        if len(bundle) > 1:
            raise _error(
                source,
                f"the JSON-stat bundle holds {len(bundle)} datasets "
                f"({_names(list(bundle))}); kzf reads one dataset per file",
                "download the dataset you need on its own",
            )
        return next(iter(bundle.values())), True
    if "value" in doc and "dimension" in doc:
        raise _error(source, 'a JSON-stat dataset without "class": "dataset"')
    raise _error(
        source,
        'not a JSON-stat dataset: no "class": "dataset" and no "value" and "dimension"',
        _NOT_JSONSTAT,
    )


def _from_collection(doc: dict[str, object], source: str) -> dict[str, object]:
    link = doc.get("link")
    items = link.get("item") if isinstance(link, dict) else None
    if not isinstance(items, list):
        raise _error(source, 'the JSON-stat collection has no "link": {"item": [...]}')
    datasets = [i for i in items if isinstance(i, dict) and i.get("class") == "dataset"]
    named = [
        str(d.get("label") or d.get("href") or f"item {n + 1}") for n, d in enumerate(datasets)
    ]
    if len(datasets) > 1:
        raise _error(
            source,
            f"the JSON-stat collection holds {len(datasets)} datasets ({_names(named)}); "
            "kzf reads one dataset per file",
            "download the dataset you need on its own",
        )
    if not datasets:
        raise _error(source, "the JSON-stat collection holds no dataset")
    dataset = datasets[0]
    if "value" not in dataset:
        href = dataset.get("href")
        raise _error(
            source,
            f"the JSON-stat collection only links to its dataset ({href or named[0]}); "
            "it does not hold the values",
            "download the dataset itself",
        )
    return dataset


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _cube(ds: dict[str, object], legacy: bool, source: str) -> Cube:
    dimension = ds.get("dimension")
    if not isinstance(dimension, dict):
        raise _error(source, 'the JSON-stat dataset has no "dimension" object')
    holder: Mapping[str, object] = dimension if legacy else ds
    ids = _ids(holder.get("id"), source)
    sizes = _sizes(holder.get("size"), ids, source)
    categories = tuple(
        _categories(dimension.get(d), d, n, source) for d, n in zip(ids, sizes, strict=True)
    )
    cells = math.prod(sizes)
    if cells > MAX_CELLS:
        raise _error(source, f"the JSON-stat cube has {cells} cells, more than kzf can index")
    if "value" not in ds:
        raise _error(source, 'the JSON-stat dataset has no "value"')
    positions, raw = _values(ds["value"], cells, source)
    values = _texts(raw, positions, source)
    present = np.array([v is not None for v in raw], dtype=bool)
    cell_flags = _flags(ds.get("status"), positions, present, cells, source)
    flags = Counter(f for f in cell_flags if f)
    return Cube(
        ids=ids,
        categories=categories,
        positions=positions,
        values=values,
        flags=dict(flags),
        cell_flags=cell_flags,
        status_labels=_status_labels(ds.get("extension")),
        time=_time(holder.get("role"), ids),
    )


def _ids(value: object, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(i, str) and i.strip() for i in value):
        raise _error(source, 'the JSON-stat dataset\'s "id" must be a list of dimension names')
    ids = tuple(i.strip() for i in value)
    twice = _repeated(ids)
    if twice:
        raise _error(source, f"the JSON-stat dataset names dimension '{twice[0]}' twice in \"id\"")
    if "value" in (i.lower() for i in ids):
        raise _error(
            source,
            "a JSON-stat dimension is called 'value', the name of the values' column",
        )
    return ids


def _sizes(value: object, ids: tuple[str, ...], source: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value
    ):
        raise _error(source, 'the JSON-stat dataset\'s "size" must be a list of counts')
    if len(value) != len(ids):
        raise _error(
            source,
            f'the JSON-stat dataset has {len(ids)} dimensions in "id" but {len(value)} '
            'numbers in "size"',
        )
    return tuple(value)


def _categories(dim: object, name: str, size: int, source: str) -> tuple[str, ...]:
    """A dimension's category ids in order: `index` as an array, as an object of positions,
    or, for a dimension of one category, absent with the id as the one key of `label`."""
    category = dim.get("category") if isinstance(dim, dict) else None
    if not isinstance(category, dict):
        raise _error(source, f"JSON-stat dimension '{name}' has no \"category\" object")
    index = category.get("index")
    label = category.get("label")
    if index is None and isinstance(label, dict) and len(label) == 1:
        index = list(label)
    if isinstance(index, list):
        if not all(isinstance(c, str | int) and not isinstance(c, bool) for c in index):
            raise _error(source, f"the categories of JSON-stat dimension '{name}' must be ids")
        ids = tuple(str(c) for c in index)
    elif isinstance(index, dict):
        places = list(index.values())
        if sorted(p for p in places if isinstance(p, int) and not isinstance(p, bool)) != list(
            range(len(index))
        ):
            raise _error(
                source,
                f"the category index of JSON-stat dimension '{name}' must give the positions "
                f"0 to {len(index) - 1}, each once",
            )
        order = sorted(index.items(), key=lambda kv: kv[1])
        ids = tuple(str(k) for k, _ in order)
    else:
        raise _error(
            source,
            f"JSON-stat dimension '{name}' has no category \"index\" (only a dimension of "
            'one category may give just its "label")',
        )
    if len(ids) != size:
        raise _error(
            source,
            f"JSON-stat dimension '{name}' has {len(ids)} categories but its \"size\" is {size}",
        )
    twice = _repeated(ids)
    if twice:
        raise _error(source, f"JSON-stat dimension '{name}' lists category '{twice[0]}' twice")
    return ids


def _repeated(names: Sequence[str]) -> list[str]:
    return sorted(n for n, k in Counter(names).items() if k > 1)


def _values(value: object, cells: int, source: str) -> tuple[np.ndarray, list[object]]:
    """The positions and raw values of the listed cells, in position order."""
    if isinstance(value, list):
        if len(value) != cells:
            raise _error(
                source,
                f'the JSON-stat "value" has {len(value)} values but the sizes of the '
                f"dimensions make {cells} cells",
                "the values must list every cell, in row-major order (or be an object of "
                "positions for a sparse cube)",
            )
        return np.arange(len(value), dtype=np.int64), value
    if isinstance(value, dict):
        found: list[tuple[int, object]] = []
        for key, v in value.items():
            p = _position(key, cells, source, "value")
            found.append((p, v))
        found.sort(key=lambda pv: pv[0])
        positions = np.array([p for p, _ in found], dtype=np.int64)
        return positions, [v for _, v in found]
    raise _error(source, 'the JSON-stat "value" must be an array or an object of positions')


def _position(key: str, cells: int, source: str, what: str) -> int:
    text = key.strip()
    if not (text.isascii() and text.isdigit()) or int(text) >= cells:
        raise _error(
            source,
            f'the JSON-stat "{what}" has the key {key!r}, which is not a position of the '
            f"cube (0 to {cells - 1})",
        )
    return int(text)


def _texts(raw: list[object], positions: np.ndarray, source: str) -> list[str]:
    """The cells as text, as a CSV reader would give them: a float in its shortest exact form
    (`repr`), so that the layer above parses exactly the number the file wrote. One loop
    with the common types first: a Eurostat answer has millions of cells."""
    out: list[str] = []
    for k, v in enumerate(raw):
        kind = type(v)
        if kind is float:
            out.append(repr(v))  # NaN and Infinity (JSON extensions): missing, and refused
        elif v is None:
            out.append("")
        elif kind is int or kind is str:
            out.append(str(v))
        elif kind is bool:
            out.append("true" if v else "false")  # not a number: the layer above names the row
        else:
            raise _error(
                source,
                f"the JSON-stat value at position {int(positions[k])} is a JSON {_kind(v)}, "
                "not a number",
            )
    return out


def _flags(
    status: object, positions: np.ndarray, present: np.ndarray, cells: int, source: str
) -> tuple[str, ...]:
    """The status of each listed cell that holds a value ("" for none, and for a cell
    without a value). `status` is one string for all, an array by position (of one element:
    for all, as JSON-stat 1.x wrote it) or an object of positions."""
    if isinstance(status, list) and len(status) == 1 and cells != 1:
        status = status[0]
    if status is None:
        return ("",) * len(positions)
    if isinstance(status, str):
        return tuple(status.strip() if p else "" for p in present)
    if isinstance(status, list):
        if len(status) != cells:
            raise _error(
                source,
                f'the JSON-stat "status" has {len(status)} entries but the cube has {cells} cells',
            )
        return tuple(_flag(status[p]) if v else "" for p, v in zip(positions, present, strict=True))
    if isinstance(status, dict):
        by_position = {_position(k, cells, source, "status"): _flag(v) for k, v in status.items()}
        return tuple(
            by_position.get(int(p), "") if v else ""
            for p, v in zip(positions, present, strict=True)
        )
    raise _error(source, 'the JSON-stat "status" must be a string, an array or an object')


def _flag(v: object) -> str:
    return v.strip() if isinstance(v, str) else ""


def _status_labels(extension: object) -> dict[str, str]:
    """What each status means, where the dataset says it (Eurostat's
    `extension.status.label`: {"e": "estimated", ...}); JSON-stat itself has no place for it."""
    status = extension.get("status") if isinstance(extension, dict) else None
    labels = status.get("label") if isinstance(status, dict) else None
    if not isinstance(labels, dict):
        return {}
    return {str(k): v for k, v in labels.items() if isinstance(v, str)}


def _time(role: object, ids: tuple[str, ...]) -> tuple[str, ...]:
    """The dimensions of role time; without roles (Eurostat gives none), those named like
    time by `kzf.engine.core.periods.is_time_name`."""
    if isinstance(role, dict) and isinstance(role.get("time"), list):
        return tuple(str(t) for t in role["time"] if str(t) in ids)
    return tuple(i for i in ids if is_time_name(i))
