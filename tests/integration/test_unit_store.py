"""The store's cmocka unit tests (tests/unit/test_store.c) on the backend
under test: on PostgreSQL they need a server, which this suite's fixtures
start, so they run from here against a fresh database."""
import os
import subprocess

import pytest

BIN = os.path.join(os.path.dirname(os.environ.get("TVSHOWS_BIN", "build/asan/tvshows")),
                   "tests", "test_store")


def test_store_unit_tests_pass_on_this_backend(db):
    if not os.path.exists(BIN):
        pytest.fail("%s is not built" % BIN)
    env = dict(os.environ, TVSHOWS_TEST_DATABASE_URL=db.url if db.pg is not None else "")
    p = subprocess.run([BIN], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "[  PASSED  ] 7 test(s)." in p.stdout + p.stderr, p.stdout + p.stderr
