"""The worked examples in the inference modules' docstrings are tests too."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["fusioncell.infer.judgment", "fusioncell.model.vehicles",
                                    "fusioncell.infer.plan", "fusioncell.infer.choice", "fusioncell.infer.nights",
                                    "fusioncell.infer.features", "fusioncell.infer.household",
                                    "fusioncell.infer.locate", "fusioncell.infer.circle",
                                    "fusioncell.infer.succession", "fusioncell.products.report",
                                    "fusioncell.infer.phones"])
def test_module_examples_hold(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
