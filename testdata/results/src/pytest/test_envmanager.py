import pytest


def test_pool_warms():
    assert 64 == 64


def test_pool_survives_oom():
    raise AssertionError("envmanager restarted: OOMKilled (exit 137)")


@pytest.mark.skip(reason="needs GPUs")
def test_gpu_pool():
    pass


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parallel(n):
    assert n < 3, f"n={n} is too big"


def test_error_in_fixture(broken):
    pass


@pytest.fixture
def broken():
    raise RuntimeError("fixture setup failed: registry unreachable")
