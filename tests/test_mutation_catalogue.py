"""The hand mutants of benchmarks/mutation.py still apply: each one's pattern matches exactly
once in the source it breaks (a mutant whose code moved is silently skipped by the tool, so a
mechanism could lose its check without anyone noticing)."""

from __future__ import annotations

import pytest
from helpers import ROOT, load_script


def _catalogue():
    return load_script("benchmarks/mutation.py").HAND_MUTANTS


@pytest.mark.parametrize("mutant", _catalogue(), ids=lambda m: m.key)
def test_every_hand_mutant_applies_to_the_current_source(mutant):
    source = (ROOT / mutant.path).read_text()
    mutated = mutant.apply(source)
    assert mutated is not None, f"{mutant.key}: no pattern matches {mutant.path} exactly once"
    assert mutated != source
