"""`kzf plot FILE INDEX --kind correlations` (issue 19, item 7): the heat map of an index's
names, one cell per pair, coloured by Pearson's r. The drawn matrix is compared with numpy's
corrcoef on the same columns; the command writes the chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kzf.engine.cli.main import main

A = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
B = [1.1, 2.0, 2.9, 4.2, 5.0, 6.1]
C = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0]


def _files(tmp_path: Path) -> list[str]:
    rows = "\n".join(f"E{i},{a},{b},{c}" for i, (a, b, c) in enumerate(zip(A, B, C, strict=True)))
    (tmp_path / "d.csv").write_text("entity,a,b,c\n" + rows + "\n", encoding="utf-8")
    (tmp_path / "f.kzf").write_text(
        "dims entity\ninput a, b, c\np1 = amean(a, b)\nidx = amean(p1, c)\n", encoding="utf-8"
    )
    return [str(tmp_path / "f.kzf"), "idx", "--data", str(tmp_path / "d.csv")]


def test_the_heat_map_draws_every_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kzf.engine.present import charts

    drawn = {}
    real = charts.draw_correlations

    def spy(names, matrix, **kw):  # type: ignore[no-untyped-def]
        drawn["names"], drawn["matrix"] = list(names), np.array(matrix)
        return real(names, matrix, **kw)

    monkeypatch.setattr(charts, "draw_correlations", spy)
    out = tmp_path / "heat.png"
    assert main(["plot", *_files(tmp_path), "--kind", "correlations", "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn["names"] == ["idx", "p1", "a", "b", "c"]
    p1 = [(a + b) / 2 for a, b in zip(A, B, strict=True)]
    idx = [(p + c) / 2 for p, c in zip(p1, C, strict=True)]
    want = np.corrcoef(np.array([idx, p1, A, B, C]))
    np.testing.assert_allclose(drawn["matrix"], want, rtol=1e-12)


def test_the_figure_holds_the_matrix() -> None:
    from kzf.engine.present import charts

    matrix = np.array([[1.0, -0.5], [-0.5, 1.0]])
    fig = charts.draw_correlations(["x", "y"], matrix, title="t")
    image = fig.axes[0].images[0]
    np.testing.assert_array_equal(np.asarray(image.get_array()), matrix)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y"]
