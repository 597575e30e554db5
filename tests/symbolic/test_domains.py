"""Domains: divisions, logs and roots are proved safe from declared domains, or warned about.

The rule behind each expectation: a denominator must exclude 0, a log argument must be > 0,
a square root's argument ≥ 0 (docs/units.md, "Domains").
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kzf
from kzf.engine.cli.main import main

MINMAX = "input osi\nosi_n = (osi - min(osi over entity)) / (max(osi over entity) - min(osi over entity))\n"


def codes(text: str) -> list[str]:
    return [d.code for d in kzf.compile(text, path="d.kzf").diagnostics]


def test_unprotected_min_max_denominator_is_a_warning_at_its_span(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "minmax.kzf"
    f.write_text(MINMAX, encoding="utf-8")
    status = main(["check", str(f)])
    _, err = capsys.readouterr()
    assert status == 0  # a warning, not an error
    # the denominator starts at column 41 of line 2 (after "osi_n = (osi - min(osi over entity)) / (")
    assert f"{f}:2:41: warning[KZF310]" in err
    assert "max(osi over entity) - min(osi over entity)" in err
    assert "is 0 in a year where every entity has the same value" in err
    status = main(["check", "--strict", str(f)])
    capsys.readouterr()
    assert status == 2


def test_a_guarded_min_max_is_proved_safe() -> None:
    guarded = (
        "input osi\n"
        "lo = min(osi over entity)\nhi = max(osi over entity)\n"
        "osi_n = if(hi > lo, (osi - lo) / (hi - lo), 0)\n"
    )
    assert codes(guarded) == []
    assert codes("input x\ny = if(x != 0, 1 / x, 0)\nz = if(x = 0, 0, 1 / x)\n") == []


def test_declared_domains_prove_divisions_safe() -> None:
    assert codes("input n > 0, r >= 0\nrel = 10 * r / n\n") == []
    assert codes("input n\nrel = 10 / n\n") == ["KZF310"]  # nothing is declared
    assert codes("input r >= 0\nq = 1 / r\n") == ["KZF310"]  # 0 is allowed
    assert codes("input r >= 0\nq = 1 / (r + 1)\n") == []  # ≥ 1
    assert codes("input g\nq = 1 / (g^2 + 1)\n") == []  # ≥ 1 whatever g is
    assert codes("input g\nq = 1 / exp(g)\n") == []
    assert codes("input g\nq = 1 / max(g, 1)\n") == []
    assert codes("input g\nq = 1 / rank(g over entity)\n") == []  # a rank is ≥ 1
    assert codes("input g\nq = 1 / count(g over entity)\n") == ["KZF310"]  # 0 when all missing
    assert codes("input s in [0, 1]\nq = 1 / (1 - s)\n") == ["KZF310"]  # s = 1
    assert codes("input s in [0, 1]\nq = 1 / (2 - s)\n") == []  # [1, 2]


def test_growth_needs_a_nonzero_previous_value() -> None:
    assert codes("input gdp\ng = growth(gdp)\n") == ["KZF310"]
    assert codes("input gdp > 0\ng = growth(gdp)\n") == []


def test_sum_of_positive_values_is_positive_and_where_narrows() -> None:
    assert codes("input c > 0\nk = c / sum(c over year)\n") == []
    assert codes("input c, r\nk = c / sum(r over year where r > 0)\n") == []
    assert codes("input c, r\nk = c / sum(r over year where r >= 0)\n") == ["KZF310"]


def test_logs_roots_and_fractional_powers() -> None:
    assert codes("input x > 0\ny = ln(x) + log10(x) + sqrt(x) + x^0.5\n") == []
    assert codes("input x >= 0\ny = ln(x)\n") == ["KZF311"]
    assert codes("input x\ny = sqrt(x)\n") == ["KZF312"]
    assert codes("input x\ny = sqrt(abs(x)) + sqrt(x^2)\n") == []
    assert codes("input x\ny = x^0.5\n") == ["KZF312"]
    assert codes("input x >= 0\ny = x^-1\n") == ["KZF310"]


def test_params_keep_the_sign_of_their_default() -> None:
    assert codes("param T1 = 60\nparam N = 100\ninput t\ne = t / (T1 * N)\n") == []
    assert codes("param k = 0\ninput t\ne = t / k\n") == ["KZF310"]


def test_the_warning_says_which_input_lacks_a_domain() -> None:
    (d,) = kzf.compile("input egdi_n\nr = 1 / egdi_n\n").diagnostics
    assert "egdi_n has no declared domain" in d.message
    assert any("input egdi_n > 0" in n for n in d.notes)


def test_allow_accepts_a_warning_and_a_stale_allow_is_reported() -> None:
    text = MINMAX.replace("input osi\n", 'input osi\nallow KZF310 osi_n "equal values: missing"\n')
    assert codes(text) == []
    assert codes('input x > 0\ny = 1 / x\nallow KZF310 y "no longer needed"\n') == ["KZF331"]
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile('input x\ny = x\nallow KZF999 "no such code"\n')
    assert info.value.code == "KZF023"
    with pytest.raises(kzf.ProgramError) as info:
        kzf.compile('input x\ny = x\nallow KZF310 z "no such definition"\n')
    assert info.value.code == "KZF010"


def test_an_invalid_domain_is_an_error() -> None:
    for text in ("input x = 0\ny = x\n", "input x in [1, 0]\ny = x\n"):
        with pytest.raises(kzf.ProgramError) as info:
            kzf.compile(text)
        assert info.value.code == "KZF023"


def test_deep_chains_and_many_conditions_stay_cheap() -> None:
    import time

    chain = (
        "input a > 0\n"
        + "\n".join(f"d{i} = if(d{i - 1} > 1, d{i - 1} / 2, d{i - 1} + 1)" for i in range(1, 400))
        + "\nd0 = a\n"
    )
    started = time.perf_counter()
    kzf.compile(chain)
    assert time.perf_counter() - started < 10
