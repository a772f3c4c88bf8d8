"""Helpers shared by the tests of tests/mlflow (importable because pytest puts this folder on sys.path)."""

import secrets
import time

import pytest
from mlflow.exceptions import MlflowException

SCHEMA = "ml_team"
# Three C values give three LogisticRegressions whose predictions differ on the iris rows
# (C=0.01 vs C=1.0: 15 rows, C=1.0 vs C=100: 3 rows), so "this version was loaded" is checkable.
C_VALUES = (0.01, 1.0, 100.0)


# Quiver's version tag for the root digest of the files a version registered (computed, never
# set): the comparisons below are of the tags people set.
DIGEST_TAG = "quiver.digest"


def user_tags(tags):
    """A version's tags without the one Quiver computes."""
    return {k: v for k, v in tags.items() if k != DIGEST_TAG}


def hexid(n=3):
    return secrets.token_hex(n)


def expect_error(code, fn, *args, **kwargs):
    """Call fn and require an MlflowException carrying `code`; return the exception."""
    with pytest.raises(MlflowException) as info:
        fn(*args, **kwargs)
    assert info.value.error_code == code, f"expected {code}, got {info.value.error_code}: {info.value}"
    return info.value


def now_ms():
    return int(time.time() * 1000)


def assert_recent(ts_ms, slack_ms=10 * 60 * 1000):
    """Timestamps are milliseconds since the epoch, from a server on this machine's clock."""
    assert isinstance(ts_ms, int), ts_ms
    assert abs(now_ms() - ts_ms) < slack_ms, ts_ms
