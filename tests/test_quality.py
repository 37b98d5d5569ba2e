"""The quality bar of the issue, measured on XQuAD through the real pipeline (not a timing)."""

from pathlib import Path

import pytest

from knowledge.evaluation import evaluate_squad

XQUAD = Path(__file__).resolve().parent.parent / "bench" / "data" / "xquad"


def test_xquad_arabic() -> None:
    figures = evaluate_squad(XQUAD / "xquad.ar.json")
    assert figures["questions"] == 1190
    assert figures["R@1"] >= 90.0 and figures["AnsR@1"] >= 90.0, figures


def test_xquad_english() -> None:
    figures = evaluate_squad(XQUAD / "xquad.en.json")
    assert figures["R@1"] >= 95.0, figures


@pytest.mark.parametrize("name", ["xquad.ar.json", "xquad.en.json", "CC-BY-SA4.0.txt"])
def test_the_data_and_its_licence_ship_with_the_repository(name: str) -> None:
    assert (XQUAD / name).stat().st_size > 1000
