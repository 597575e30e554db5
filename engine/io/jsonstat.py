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

from kzf.dsl.diagnostics import DataLocation, data_error, localised_data_error
from kzf.dsl.messages import Phrase, listed
from kzf.engine.core.periods import is_time_name

# Above this many cells a cube cannot be indexed with int64 positions (np.unravel_index).
MAX_CELLS = 2**62
_SPEC = "https://json-stat.org/full/"


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
        raise localised_data_error(
            "KZF106",
            "not valid JSON: {reason} at line {line}, column {colno}",
            DataLocation(source),
            reason=exc.msg,
            line=exc.lineno,
            colno=exc.colno,
        ) from None
    except RecursionError:
        raise data_error(
            "KZF106", "not valid JSON: nested too deeply", DataLocation(source)
        ) from None
    dataset, legacy = _the_dataset(doc, source)
    return _cube(dataset, legacy, source)


def _the_dataset(doc: object, source: str) -> tuple[dict[str, object], bool]:
    """The dataset a document holds, and whether it is laid out as JSON-stat 1.x."""
    if not isinstance(doc, dict):
        raise localised_data_error(
            "KZF106",
            "not a JSON-stat dataset: the file holds a JSON {kind}, not an object",
            DataLocation(source),
            (
                "kzf reads a '.json' file as JSON-stat 2.0 ({spec}); save other JSON as CSV",
                {"spec": _SPEC},
            ),
            kind=_kind(doc),
        )
    kind = doc.get("class")
    if kind == "dataset":
        return doc, False
    if kind == "collection":
        return _from_collection(doc, source), False
    if kind == "dimension":
        raise data_error(
            "KZF106",
            "a JSON-stat dimension, not a dataset: it holds categories but no values",
            DataLocation(source),
        )
    if kind is not None:
        raise localised_data_error(
            "KZF106",
            "unknown JSON-stat class {kind}: kzf reads class 'dataset' (or a collection "
            "or bundle holding one dataset)",
            DataLocation(source),
            kind=repr(kind),
        )
    bundle = {k: v for k, v in doc.items() if isinstance(v, dict) and "dimension" in v}
    if bundle and "dimension" not in doc:  # JSON-stat 1.x: {"name": {dataset}, ...}
        if len(bundle) > 1:
            raise localised_data_error(
                "KZF106",
                "the JSON-stat bundle holds {count} datasets ({names}); kzf reads one dataset "
                "per file",
                DataLocation(source),
                "download the dataset you need on its own",
                count=len(bundle),
                names=_names(list(bundle)),
            )
        return next(iter(bundle.values())), True
    if "value" in doc and "dimension" in doc:
        raise data_error(
            "KZF106", 'a JSON-stat dataset without "class": "dataset"', DataLocation(source)
        )
    raise localised_data_error(
        "KZF106",
        'not a JSON-stat dataset: no "class": "dataset" and no "value" and "dimension"',
        DataLocation(source),
        (
            "kzf reads a '.json' file as JSON-stat 2.0 ({spec}); save other JSON as CSV",
            {"spec": _SPEC},
        ),
    )


def _from_collection(doc: dict[str, object], source: str) -> dict[str, object]:
    link = doc.get("link")
    items = link.get("item") if isinstance(link, dict) else None
    if not isinstance(items, list):
        raise localised_data_error(
            "KZF106",
            'the JSON-stat collection has no "link": {{"item": [...]}}',
            DataLocation(source),
        )
    datasets = [i for i in items if isinstance(i, dict) and i.get("class") == "dataset"]
    named = [
        str(d.get("label") or d.get("href") or f"item {n + 1}") for n, d in enumerate(datasets)
    ]
    if len(datasets) > 1:
        raise localised_data_error(
            "KZF106",
            "the JSON-stat collection holds {count} datasets ({names}); kzf reads one dataset "
            "per file",
            DataLocation(source),
            "download the dataset you need on its own",
            count=len(datasets),
            names=_names(named),
        )
    if not datasets:
        raise data_error(
            "KZF106", "the JSON-stat collection holds no dataset", DataLocation(source)
        )
    dataset = datasets[0]
    if "value" not in dataset:
        href = dataset.get("href")
        raise localised_data_error(
            "KZF106",
            "the JSON-stat collection only links to its dataset ({link}); it does not hold "
            "the values",
            DataLocation(source),
            "download the dataset itself",
            link=href or named[0],
        )
    return dataset


def _names(names: Sequence[str], limit: int = 5) -> str | Phrase:
    return listed([f"'{n}'" for n in names], limit)


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
        raise data_error(
            "KZF106", 'the JSON-stat dataset has no "dimension" object', DataLocation(source)
        )
    holder: Mapping[str, object] = dimension if legacy else ds
    ids = _ids(holder.get("id"), source)
    sizes = _sizes(holder.get("size"), ids, source)
    categories = tuple(
        _categories(dimension.get(d), d, n, source) for d, n in zip(ids, sizes, strict=True)
    )
    cells = math.prod(sizes)
    if cells > MAX_CELLS:
        raise localised_data_error(
            "KZF106",
            "the JSON-stat cube has {cells} cells, more than kzf can index",
            DataLocation(source),
            cells=cells,
        )
    if "value" not in ds:
        raise data_error("KZF106", 'the JSON-stat dataset has no "value"', DataLocation(source))
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
        raise data_error(
            "KZF106",
            'the JSON-stat dataset\'s "id" must be a list of dimension names',
            DataLocation(source),
        )
    ids = tuple(i.strip() for i in value)
    twice = _repeated(ids)
    if twice:
        raise localised_data_error(
            "KZF106",
            "the JSON-stat dataset names dimension '{dim}' twice in \"id\"",
            DataLocation(source),
            dim=twice[0],
        )
    if "value" in (i.lower() for i in ids):
        raise data_error(
            "KZF106",
            "a JSON-stat dimension is called 'value', the name of the values' column",
            DataLocation(source),
        )
    return ids


def _sizes(value: object, ids: tuple[str, ...], source: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value
    ):
        raise data_error(
            "KZF106",
            'the JSON-stat dataset\'s "size" must be a list of counts',
            DataLocation(source),
        )
    if len(value) != len(ids):
        raise localised_data_error(
            "KZF106",
            'the JSON-stat dataset has {dims} dimensions in "id" but {numbers} numbers in "size"',
            DataLocation(source),
            dims=len(ids),
            numbers=len(value),
        )
    return tuple(value)


def _categories(dim: object, name: str, size: int, source: str) -> tuple[str, ...]:
    """A dimension's category ids in order: `index` as an array, as an object of positions,
    or, for a dimension of one category, absent with the id as the one key of `label`."""
    category = dim.get("category") if isinstance(dim, dict) else None
    if not isinstance(category, dict):
        raise localised_data_error(
            "KZF106",
            "JSON-stat dimension '{name}' has no \"category\" object",
            DataLocation(source),
            name=name,
        )
    index = category.get("index")
    label = category.get("label")
    if index is None and isinstance(label, dict) and len(label) == 1:
        index = list(label)
    if isinstance(index, list):
        if not all(isinstance(c, str | int) and not isinstance(c, bool) for c in index):
            raise localised_data_error(
                "KZF106",
                "the categories of JSON-stat dimension '{name}' must be ids",
                DataLocation(source),
                name=name,
            )
        ids = tuple(str(c) for c in index)
    elif isinstance(index, dict):
        places = list(index.values())
        if sorted(p for p in places if isinstance(p, int) and not isinstance(p, bool)) != list(
            range(len(index))
        ):
            raise localised_data_error(
                "KZF106",
                "the category index of JSON-stat dimension '{name}' must give the positions "
                "0 to {last}, each once",
                DataLocation(source),
                name=name,
                last=len(index) - 1,
            )
        order = sorted(index.items(), key=lambda kv: kv[1])
        ids = tuple(str(k) for k, _ in order)
    else:
        raise localised_data_error(
            "KZF106",
            "JSON-stat dimension '{name}' has no category \"index\" (only a dimension of "
            'one category may give just its "label")',
            DataLocation(source),
            name=name,
        )
    if len(ids) != size:
        raise localised_data_error(
            "KZF106",
            "JSON-stat dimension '{name}' has {count} categories but its \"size\" is {size}",
            DataLocation(source),
            name=name,
            count=len(ids),
            size=size,
        )
    twice = _repeated(ids)
    if twice:
        raise localised_data_error(
            "KZF106",
            "JSON-stat dimension '{name}' lists category '{category}' twice",
            DataLocation(source),
            name=name,
            category=twice[0],
        )
    return ids


def _repeated(names: Sequence[str]) -> list[str]:
    return sorted(n for n, k in Counter(names).items() if k > 1)


def _values(value: object, cells: int, source: str) -> tuple[np.ndarray, list[object]]:
    """The positions and raw values of the listed cells, in position order."""
    if isinstance(value, list):
        if len(value) != cells:
            raise localised_data_error(
                "KZF106",
                'the JSON-stat "value" has {count} values but the sizes of the dimensions '
                "make {cells} cells",
                DataLocation(source),
                "the values must list every cell, in row-major order (or be an object of "
                "positions for a sparse cube)",
                count=len(value),
                cells=cells,
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
    raise data_error(
        "KZF106",
        'the JSON-stat "value" must be an array or an object of positions',
        DataLocation(source),
    )


def _position(key: str, cells: int, source: str, what: str) -> int:
    text = key.strip()
    if not (text.isascii() and text.isdigit()) or int(text) >= cells:
        raise localised_data_error(
            "KZF106",
            'the JSON-stat "{what}" has the key {key}, which is not a position of the cube '
            "(0 to {last})",
            DataLocation(source),
            what=what,
            key=repr(key),
            last=cells - 1,
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
            raise localised_data_error(
                "KZF106",
                "the JSON-stat value at position {position} is a JSON {kind}, not a number",
                DataLocation(source),
                position=int(positions[k]),
                kind=_kind(v),
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
            raise localised_data_error(
                "KZF106",
                'the JSON-stat "status" has {count} entries but the cube has {cells} cells',
                DataLocation(source),
                count=len(status),
                cells=cells,
            )
        return tuple(_flag(status[p]) if v else "" for p, v in zip(positions, present, strict=True))
    if isinstance(status, dict):
        by_position = {_position(k, cells, source, "status"): _flag(v) for k, v in status.items()}
        return tuple(
            by_position.get(int(p), "") if v else ""
            for p, v in zip(positions, present, strict=True)
        )
    raise data_error(
        "KZF106",
        'the JSON-stat "status" must be a string, an array or an object',
        DataLocation(source),
    )


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
