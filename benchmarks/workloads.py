# ruff: noqa: E501
"""The benchmark computations, each written five ways: as kzf, as hand-written pandas, as
hand-written Polars, as numpy on the dense entity × year matrix (the floor), and as VTL for
vtlengine.

Data: `rows / 20` entities × 20 years (2005-2024), sorted by entity then year, columns osi,
tii, hci (uniform 0..1), c and r (uniform 1..100)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that `benchmarks/files.py`'s Polars script
    import numpy as np  # and DuckDB script do not pay for pandas at their start
    import pandas as pd

YEARS = 20

KZF = {
    "egdi": """
input osi, tii, hci
minmax(x) = (x - min(x over entity)) / (max(x over entity) - min(x over entity))
egdi = (minmax(osi) + minmax(tii) + minmax(hci)) / 3
""",
    "ratio": """
input c, r
ratio = sum(c over year where year in 2010..2016) / sum(r over year where year in 2010..2016)
""",
    "growth": """
input osi
growth_pct = 100 * growth(osi)
""",
    "rank": """
input osi
place = rank(osi over entity)
""",
    # element-wise only (anchors §5.2's row-wise formula): 5 columns in, 2 out, 56 bytes a row
    "rowwise": """
input osi, tii, hci, c, r
mean3 = (osi + tii + hci) / 3
eff = c / r
""",
}

_MM = "(({x} - min({x} over (partition by year))) / (max({x} over (partition by year)) - min({x} over (partition by year))))"
VTL = {
    "egdi": "DS_r <- DS_1[calc egdi := ("
    + " + ".join(_MM.format(x=x) for x in ("osi", "tii", "hci"))
    + ") / 3][keep egdi];",
    "ratio": """
DS_2 := DS_1[calc cp := if year >= 2010 and year <= 2016 then c else null,
                  rp := if year >= 2010 and year <= 2016 then r else null];
DS_r <- DS_2[calc ratio := sum(cp over (partition by entity)) / sum(rp over (partition by entity))][keep ratio];
""",
    "growth": "DS_r <- DS_1[calc growth_pct := 100 * (osi / lag(osi, 1 over (partition by entity order by year)) - 1)][keep growth_pct];",
    "rank": "DS_r <- DS_1[calc place := rank(over (partition by year order by osi desc))][keep place];",
    "rowwise": "DS_r <- DS_1[calc mean3 := (osi + tii + hci) / 3, eff := c / r][keep mean3, eff];",
}

# What a DuckDB user writes by hand: window functions over the same groups, reading `{data}`
_MMSQL = "(({x} - min({x}) OVER y) / (max({x}) OVER y - min({x}) OVER y))"
DUCKDB_SQL = {
    "egdi": "SELECT entity, year, ("
    + " + ".join(_MMSQL.format(x=x) for x in ("osi", "tii", "hci"))
    + ") / 3 AS egdi FROM {data} WINDOW y AS (PARTITION BY year)",
    "ratio": "SELECT entity, year, sum(c) FILTER (WHERE year BETWEEN 2010 AND 2016) OVER e"
    " / sum(r) FILTER (WHERE year BETWEEN 2010 AND 2016) OVER e AS ratio"
    " FROM {data} WINDOW e AS (PARTITION BY entity)",
    "growth": "SELECT entity, year, 100 * (osi / lag(osi) OVER (PARTITION BY entity ORDER BY year) - 1)"
    " AS growth_pct FROM {data}",
    "rank": "SELECT entity, year, rank() OVER (PARTITION BY year ORDER BY osi DESC) AS place FROM {data}",
    "rowwise": "SELECT entity, year, (osi + tii + hci) / 3 AS mean3, c / r AS eff FROM {data}",
}


def make_panel(rows: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    entities = max(rows // YEARS, 2)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "entity": np.repeat([f"E{i:07d}" for i in range(entities)], YEARS),
            "year": np.tile(np.arange(2005, 2005 + YEARS), entities),
        }
    )
    for c in ("osi", "tii", "hci"):
        df[c] = rng.uniform(0, 1, len(df))
    for c in ("c", "r"):
        df[c] = rng.uniform(1, 100, len(df))
    return df


def pandas_version(name: str, df: pd.DataFrame) -> pd.DataFrame:
    out = df[["entity", "year"]].copy()
    if name == "egdi":
        parts = []
        for c in ("osi", "tii", "hci"):
            g = df.groupby("year")[c]
            lo, hi = g.transform("min"), g.transform("max")
            parts.append((df[c] - lo) / (hi - lo))
        out["egdi"] = (parts[0] + parts[1] + parts[2]) / 3
    elif name == "ratio":
        inside = df["year"].between(2010, 2016)
        cs = df["c"].where(inside).groupby(df["entity"]).transform("sum")
        rs = df["r"].where(inside).groupby(df["entity"]).transform("sum")
        out["ratio"] = cs / rs
    elif name == "growth":
        prev = df.groupby("entity")["osi"].shift(1)
        out["growth_pct"] = 100 * (df["osi"] / prev - 1)
    elif name == "rank":
        out["place"] = df.groupby("year")["osi"].rank(method="min", ascending=False)
    else:
        out["mean3"] = (df["osi"] + df["tii"] + df["hci"]) / 3
        out["eff"] = df["c"] / df["r"]
    return out


def polars_version(name: str, df: object) -> object:
    """What a Polars user writes: window expressions over the same groups (`df` is a
    polars.DataFrame built from the same panel, outside the timed part)."""
    import polars as pl

    frame: pl.DataFrame = df  # type: ignore[assignment]
    keys = [pl.col("entity"), pl.col("year")]
    if name == "egdi":
        parts = [
            (pl.col(c) - pl.col(c).min().over("year"))
            / (pl.col(c).max().over("year") - pl.col(c).min().over("year"))
            for c in ("osi", "tii", "hci")
        ]
        return frame.select(*keys, ((parts[0] + parts[1] + parts[2]) / 3).alias("egdi"))
    if name == "ratio":
        inside = pl.col("year").is_between(2010, 2016)
        cs = pl.when(inside).then(pl.col("c")).sum().over("entity")
        rs = pl.when(inside).then(pl.col("r")).sum().over("entity")
        return frame.select(*keys, (cs / rs).alias("ratio"))
    if name == "growth":
        prev = pl.col("osi").shift(1).over("entity")
        return frame.select(*keys, (100 * (pl.col("osi") / prev - 1)).alias("growth_pct"))
    if name == "rank":
        place = pl.col("osi").rank("min", descending=True).over("year")
        return frame.select(*keys, place.alias("place"))
    return frame.select(
        *keys,
        ((pl.col("osi") + pl.col("tii") + pl.col("hci")) / 3).alias("mean3"),
        (pl.col("c") / pl.col("r")).alias("eff"),
    )


def numpy_version(name: str, arrays: dict[str, np.ndarray]) -> object:
    """The floor: the panel is a dense entity × year matrix, so groups are matrix axes."""
    import numpy as np

    m = {k: v.reshape(-1, YEARS) for k, v in arrays.items()}
    if name == "egdi":
        total = np.zeros_like(m["osi"])
        for c in ("osi", "tii", "hci"):
            x = m[c]
            lo, hi = x.min(axis=0), x.max(axis=0)
            total += (x - lo) / (hi - lo)
        return (total / 3).reshape(-1)
    if name == "ratio":
        sl = slice(2010 - 2005, 2016 - 2005 + 1)
        ratio = m["c"][:, sl].sum(axis=1) / m["r"][:, sl].sum(axis=1)
        return np.repeat(ratio, YEARS)
    if name == "growth":
        x = m["osi"]
        out = np.full_like(x, np.nan)
        out[:, 1:] = 100 * (x[:, 1:] / x[:, :-1] - 1)
        return out.reshape(-1)
    if name == "rowwise":
        return (arrays["osi"] + arrays["tii"] + arrays["hci"]) / 3, arrays["c"] / arrays["r"]
    x = m["osi"]
    order = np.argsort(-x, axis=0)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, x.shape[0] + 1)[:, None], axis=0)
    return ranks.reshape(-1).astype(np.float64)


def vtl_structure(columns: list[str]) -> dict:
    comps = [
        {"name": "entity", "type": "String", "role": "Identifier", "nullable": False},
        {"name": "year", "type": "Integer", "role": "Identifier", "nullable": False},
    ] + [{"name": c, "type": "Number", "role": "Measure", "nullable": True} for c in columns]
    return {"datasets": [{"name": "DS_1", "DataStructure": comps}]}


INPUTS = {
    "egdi": ["osi", "tii", "hci"],
    "ratio": ["c", "r"],
    "growth": ["osi"],
    "rank": ["osi"],
    "rowwise": ["osi", "tii", "hci", "c", "r"],
}
