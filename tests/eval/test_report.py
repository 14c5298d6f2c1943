import json
import math

import numpy as np

from eval.report import markdown_table, plot_confusion, plot_field_f1, plot_recall_curves, write_metrics


def test_plots_are_written_as_png(tmp_path):
    paths = [
        plot_recall_curves({"bm25": {1: 0.7, 10: 0.95}, "稠密": {1: 0.6, 10: 0.9}}, tmp_path / "r.png"),
        plot_confusion(
            ["eligible", "unknown", "ineligible"],
            np.array([[5, 1, 0], [0, 3, 1], [1, 0, 9]]),
            tmp_path / "c.png",
        ),
        plot_field_f1({"revenue": 0.95, "资质": 0.8}, tmp_path / "f.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_json_is_clean(tmp_path):
    path = write_metrics(
        {"a": np.float32(0.5), "b": float("nan"), "c": np.arange(3), "d": {"e": np.int64(2)}}, tmp_path
    )
    data = json.loads(path.read_text())
    assert data == {"a": 0.5, "b": None, "c": [0, 1, 2], "d": {"e": 2}}
    assert not math.isnan(data["a"])


def test_markdown_table():
    assert (
        markdown_table(["x", "y"], [["a", 0.12345], ["b", None]])
        == "| x | y |\n|---|---|\n| a | 0.123 |\n| b | – |"
    )
