"""A tiny synthetic AMIGOS corpus shared by the tuning tests (built once per session)."""

import pytest


@pytest.fixture(scope="session")
def tiny_amigos(tmp_path_factory):
    from amigos_emo.tuning.conftest_tiny import tiny_builder

    data_dir = tmp_path_factory.mktemp("tiny_amigos")
    return tiny_builder(data_dir), data_dir
