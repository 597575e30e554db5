"""The dissertation as a kzf library (formulas/, indicators/): every published value is
reproduced or is a listed erratum, and a few printed values are recomputed here independently
with plain pandas, without kzf."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kzf
from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SUMMARY = re.compile(
    r"^(\d+) reproduced, (\d+) known errata, (\d+) failed"
    r"(?:; (\d+) derived values checked)?(?:; (\d+) published values cannot be reproduced)?"
    r"(?:; rules: (\d+) met, (\d+) with warnings, (\d+) broken)?, (\d+) file\(s\) with errors$"
)
DERIVED = {
    "formulas/economic_efficiency.kzf": 1,  # the synthetic row of formulas.md F1
    "formulas/document_processing.kzf": 1,  # the respondent-weighted alternative
    "formulas/nri.kzf": 3,  # nri, nri_mean on the synthetic row; weights_total
    "formulas/egdi_components.kzf": 1,  # the synthetic case of formulas.md §7
    "formulas/desi.kzf": 3,  # desi, desi_mean on the synthetic row; weights_total
    "formulas/egdi_un.kzf": 2,  # the UN method on synthetic extremes
    "formulas/ict_output_efficiency.kzf": 1,  # the correct total, not printed
    "indicators/digital_index_mean.kzf": 3,  # formulas.md U1's arithmetic
    "indicators/ict_manufacturing.kzf": 2,  # the size of Table 16's two slips
}
UNREPRODUCIBLE = {"indicators/digital_index_mean.kzf": 1}  # ЦИорт 25.6: Table 24 was an image
RULE_LINE = re.compile(r"^  (ok|warning|FAILED) +rule (\S+):")

# The validation rules of the library (docs/validation.md, "The seed's data, validated"):
# file → {rule: "ok" or "warning"}. The warnings are the seed's own slips, found as
# spec/formulas.md and spec/regression.md describe them.
RULES = {
    "formulas/gdp_regression.kzf": {"Y_not_repeated": "warning"},  # Y 2010 = Y 2009
    "indicators/karasai_eservices.kzf": {"plausible_change": "warning"},  # 160 540
    "indicators/ict_manufacturing_checks.kzf": {
        "total_is_sum_of_rows": "warning",  # Table 16's 2018 and 2021 totals
        "output_non_negative": "ok",
        "not_copied": "ok",
    },
}

# (reproduced, errata) per file of the library: the values printed in the dissertation. The
# values a file derives itself (`derived "how"`: synthetic rows, figures the text implies but
# does not print) are counted apart in DERIVED, and the printed values nothing available can
# reproduce (`unreproducible "why"`) in UNREPRODUCIBLE. A change here is a change of what the
# library claims about the dissertation: update it together with the .kzf file.
LIBRARY = {
    "formulas/economic_efficiency.kzf": (0, 0),
    "formulas/ict_efficiency.kzf": (63, 5),
    "formulas/document_processing.kzf": (14, 2),
    "formulas/e_services_share.kzf": (5, 0),
    "formulas/nri.kzf": (0, 0),
    "formulas/egdi.kzf": (10, 0),
    "formulas/egdi_components.kzf": (1, 1),
    "formulas/desi.kzf": (0, 1),
    "formulas/egdi_un.kzf": (0, 0),
    "formulas/ict_output_efficiency.kzf": (13, 1),
    "indicators/relative_positions.kzf": (38, 0),
    "indicators/eaeu_places.kzf": (9, 0),
    "indicators/digital_index_mean.kzf": (0, 0),
    "indicators/egdi_rank_changes.kzf": (6, 0),
    "indicators/karasai_eservices.kzf": (6, 1),
    "indicators/ict_manufacturing.kzf": (6, 2),
    "indicators/singapore_internet.kzf": (6, 2),
    "indicators/singapore_rnd.kzf": (5, 2),
    "indicators/ranking_coverage.kzf": (1, 0),
    "indicators/ict_costs_structure.kzf": (4, 1),
    "indicators/russia_digital_services_trade.kzf": (0, 1),
}


def run_test(paths: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["test", *paths])
    out, _ = capsys.readouterr()
    return status, out


def summary(out: str) -> tuple[int, int, int, int]:
    match = SUMMARY.match(out.strip().splitlines()[-1])
    assert match, out
    reproduced, errata, failed, broken = (int(match.group(i)) for i in (1, 2, 3, 9))
    return reproduced, errata, failed, broken


def per_file(
    out: str, labels: tuple[str, ...] = ("ok", "erratum", "FAILED")
) -> dict[str, tuple[int, ...]]:
    """The count of each kind of line (`labels`) under each file heading of `kzf test`."""
    counts: dict[str, list[int]] = {}
    current = None
    for line in out.splitlines():
        if line.endswith(".kzf"):
            current = Path(line).resolve().relative_to(ROOT).as_posix()
            counts[current] = [0] * len(labels)
        elif current is not None and line.startswith("  ") and not RULE_LINE.match(line):
            status = line.split()[0]
            if status in labels:
                counts[current][labels.index(status)] += 1
    return {k: tuple(v) for k, v in counts.items()}


def test_derived_and_unreproducible_values_are_counted_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """kzf test counts what the dissertation prints apart from what the files derive, and
    lists the printed values that cannot be reproduced, with that status."""
    status, out = run_test([str(ROOT / name) for name in LIBRARY], capsys)
    assert status == 0, out
    found = per_file(out, ("derived", "cannot"))
    assert {k: v[0] for k, v in found.items() if v[0]} == DERIVED, out
    assert {k: v[1] for k, v in found.items() if v[1]} == UNREPRODUCIBLE, out
    last = out.strip().splitlines()[-1]
    assert f"; {sum(DERIVED.values())} derived values checked;" in last
    assert "; 1 published values cannot be reproduced" in last
    assert "cannot   ЦИорт = 25.6: cannot be reproduced; l.2759" in out


def test_kzf_test_on_the_whole_library_passes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_test([str(ROOT / "formulas"), str(ROOT / "indicators")], capsys)
    assert status == 0, out
    reproduced, errata, failed, broken = summary(out)
    assert (failed, broken) == (0, 0), out
    # Other files may join formulas/ and indicators/; the library's own share is exact below.
    assert reproduced >= sum(r for r, _ in LIBRARY.values())
    assert errata >= sum(e for _, e in LIBRARY.values())


def test_each_library_file_reproduces_its_published_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out = run_test([str(ROOT / name) for name in LIBRARY], capsys)
    assert status == 0, out
    expected_total = (
        sum(r for r, _ in LIBRARY.values()),
        sum(e for _, e in LIBRARY.values()),
        0,
        0,
    )
    assert summary(out) == expected_total, out
    found = per_file(out)
    assert found == {name: (r, e, 0) for name, (r, e) in LIBRARY.items()}, out


def test_the_library_validates_the_seed_s_data(capsys: pytest.CaptureFixture[str]) -> None:
    """Each rule of the library gives the outcome spec/ describes, and kzf test counts the
    rules apart from the published values."""
    status, out = run_test([str(ROOT / name) for name in RULES], capsys)
    assert status == 0, out  # the slips are warnings: the tables are reproduced as printed
    found: dict[str, dict[str, str]] = {}
    current = ""
    for line in out.splitlines():
        if line.endswith(".kzf"):
            current = Path(line).resolve().relative_to(ROOT).as_posix()
        elif (m := RULE_LINE.match(line)) is not None:
            found.setdefault(current, {})[m.group(2)] = m.group(1)
    assert found == RULES, out
    met = sum(v == "ok" for r in RULES.values() for v in r.values())
    warned = sum(v == "warning" for r in RULES.values() for v in r.values())
    assert f"; rules: {met} met, {warned} with warnings, 0 broken," in out.splitlines()[-1]


def test_the_listed_errata_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run_test([str(ROOT / name) for name in LIBRARY], capsys)
    errata = [line for line in out.splitlines() if line.startswith("  erratum")]
    for needle in [
        "efficiency_total_pct = 42.8: computed 7.05",  # Table 17 total
        "K_improvement = 49.28 round 2: computed 49.17",  # «49,28%»
        "K_growth[2016] = -29.4 round 1: computed -12.37",  # «2016 ... 29,4%»
        "EXP_T_pre = 7102.27",  # Table 5 pre-programme total row copies 2010
        "result_to_cost[2010] = 2.776",  # cost/result printed, result/cost announced
        "E_as_printed = 91 trunc 0: computed 516666.6",  # formula (5) precedence
        "growth_pct[individual_entrepreneurs, 2022] = 86",  # Table 6 sign dropped
        "ict_output_total[Kazakhstan, 2018] = 22509.3",  # Table 16 total
        "ict_output_total[Kazakhstan, 2021] = 24794.7",
        "indicator_count = 32: computed 31",  # DESI count
        "osi_normalised_example[un_survey_osi_example] = 74.51",  # «074.51»
        "it_specialists_growth_pct[l2148_2152] = 63",  # «63%»
        "internet_users_change_thousand[Singapore, 2022] = 43",  # Table 10
        "growth_since_2010_pct[Russia, 2015] = 11",  # «өсімі 11%»
    ]:
        assert any(needle in line for line in errata), needle


def test_every_library_file_states_its_method_and_checks_cleanly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in LIBRARY:
        prog = kzf.load(ROOT / name)
        assert prog.title, name
        assert prog.data_path is not None and Path(prog.data_path).is_file(), name
        assert prog.diagnostics == [], (name, prog.diagnostics)
        text = (ROOT / name).read_text(encoding="utf-8")
        assert re.search(r'^source ".*(l\.|lines? )\d+', text, re.M), name  # cites seed lines
    assert main(["check", *(str(ROOT / name) for name in LIBRARY)]) == 0
    capsys.readouterr()


# ------------------------------------------------------------------ independent recomputation


def table05_inputs() -> pd.DataFrame:
    """Table 3 and the Table 5 exchange rate, read from the two SHIPPED files."""
    t3 = pd.read_csv(DATA / "table03_kz_ict_efficiency_inputs.csv")
    t5 = pd.read_csv(DATA / "table05_kz_ict_trade.csv")
    return t3.merge(t5[["year", "usd_kzt_rate"]], on="year").set_index("year")


def test_combined_table03_05_file_is_the_join_of_the_shipped_files() -> None:
    combined = pd.read_csv(DATA / "table03_05_kz_ict_efficiency.csv").set_index("year")
    pd.testing.assert_frame_equal(combined, table05_inputs())
    eaeu = pd.read_csv(DATA / "eaeu.csv")
    kz = eaeu[eaeu["entity"] == "Kazakhstan"].set_index("year").loc[combined.index]
    numeric = combined.drop(columns="period")
    pd.testing.assert_frame_equal(kz[numeric.columns], numeric, check_names=False)


def test_table5_recomputed_with_pandas_matches_kzf() -> None:
    d = table05_inputs()
    costs = (
        d.ict_costs_bn_kzt * 1000
        + d.rnd_costs_bn_kzt * 1000
        + d.ict_goods_import_mln_usd * d.usd_kzt_rate
    )
    results = (
        d.ict_products_services_bn_kzt
        + d.innovative_products_mln_kzt
        + d.ict_goods_export_mln_usd * d.usd_kzt_rate
    )
    k = costs / results
    # The printed value of 2010, by hand: 415052.315 / 149501.47.
    assert round(k[2010], 3) == 2.776
    assert k[2010] == pytest.approx(415052.315 / 149501.47, rel=1e-12)

    prog = kzf.load(ROOT / "formulas" / "ict_efficiency.kzf")
    frame = prog.evaluate(prog.data_path).set_index("year")
    np.testing.assert_allclose(frame["K"], k, rtol=1e-12)
    np.testing.assert_allclose(frame["K_growth"].iloc[1:], (100 * (k / k.shift() - 1)).iloc[1:])
    pre, post = d.index < 2017, d.index >= 2017
    k_pre = costs[pre].sum() / results[pre].sum()
    k_post = costs[post].sum() / results[post].sum()
    assert frame["K_pre"].iloc[0] == pytest.approx(k_pre, rel=1e-12)
    assert frame["K_post"].iloc[0] == pytest.approx(k_post, rel=1e-12)
    assert round(100 * (k_post / k_pre - 1), 3) == -49.177
    # The published growth of 2016 needs the UNROUNDED K; the rounded ones give -12.399.
    assert round(100 * (k[2016] / k[2015] - 1), 3) == -12.371
    assert round(100 * (round(k[2016], 3) / round(k[2015], 3) - 1), 3) == -12.399


def test_table17_recomputed_with_pandas_matches_kzf() -> None:
    d = pd.read_csv(DATA / "table17_kz_ict_efficiency.csv").set_index("year")
    pct = d.ict_production_mln_kzt / d.ict_costs_mln_kzt * 100
    truncated = np.trunc(pct * 10) / 10
    assert truncated.round(1).tolist() == [8.4, 6.0, 7.3, 8.9, 6.7, 5.5]
    assert round(truncated.sum(), 1) == 42.8  # how the printed total arose
    ratio_of_sums = d.ict_production_mln_kzt.sum() / d.ict_costs_mln_kzt.sum() * 100
    assert round(ratio_of_sums, 2) == 7.05

    prog = kzf.load(ROOT / "formulas" / "ict_output_efficiency.kzf")
    frame = prog.evaluate(prog.data_path).set_index("year")
    np.testing.assert_allclose(frame["efficiency_pct"], pct, rtol=1e-12)
    assert frame["efficiency_total_pct"].iloc[0] == pytest.approx(ratio_of_sums, rel=1e-12)


def test_table22_recomputed_from_the_long_table21_file() -> None:
    long = pd.read_csv(DATA / "table21_kz_index_ranks.csv")
    ranks = long[long.indicator.str.endswith("_rank")].dropna(subset=["value"])
    expected = {
        (str(indicator).removesuffix("_rank"), int(year)): 10 * float(rank) / float(n)
        for indicator, year, rank, n in zip(
            ranks["indicator"], ranks["year"], ranks["value"], ranks["n_countries"], strict=True
        )
    }
    prog = kzf.load(ROOT / "indicators" / "relative_positions.kzf")
    frame = prog.evaluate(prog.data_path).set_index("year")
    for (index, year), value in expected.items():
        column = "egdi_relative_position" if index == "egdi" else f"{index}_position"
        if column == "egdi_relative_position":
            continue  # imported from formulas/egdi.kzf, checked by `kzf test`
        assert frame.loc[year, column] == pytest.approx(value, rel=1e-12), (index, year)
    published = pd.read_csv(DATA / "table22_kz_index_scaled_expected.csv")
    gii_2017 = published[(published["index"] == "gii") & (published.year == 2017)]
    assert float(gii_2017.value_stated.iloc[0]) == 6 == int(frame.loc[2017, "gii_position"])
