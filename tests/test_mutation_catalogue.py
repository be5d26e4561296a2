"""The hand mutants of benchmarks/mutation.py still apply: each one's pattern matches exactly
once in the source it breaks (a mutant whose code moved is silently skipped by the tool, so a
mechanism could lose its check without anyone noticing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _catalogue():
    spec = importlib.util.spec_from_file_location("mutation", ROOT / "benchmarks" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules.setdefault("mutation", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.HAND_MUTANTS


@pytest.mark.parametrize("mutant", _catalogue(), ids=lambda m: m.key)
def test_every_hand_mutant_applies_to_the_current_source(mutant):
    source = (ROOT / mutant.path).read_text()
    mutated = mutant.apply(source)
    assert mutated is not None, f"{mutant.key}: no pattern matches {mutant.path} exactly once"
    assert mutated != source
