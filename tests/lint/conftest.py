"""pytest configuration for the lint tests: the `tree` fixture, a clean fake keel tree
(tests/lint/fixture_tree.py) planted in a tmp dir."""

import pytest
from fixture_tree import make_tree


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "repo")
