"""schemathesis against the app's own OpenAPI schema: generated requests for every operation,
sent to a live server on loopback; no server error and no response that breaks the schema."""

from __future__ import annotations

import ctypes

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from live_server import copy_store, live_server
from regkb.service.http.app import ServiceSettings, create_app
from regkb.service.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("schemathesis_node_id")]

EXAMPLES_PER_OPERATION = 25  # × 22 operations ≈ 550 generated requests

# The schema comes from the app a fixture builds: nothing is built when the module is imported.
# Each operation runs as a subtest of test_every_operation.
schema = schemathesis.pytest.from_fixture("api_schema")


def restore_subnormal_floats() -> None:
    """ONNX Runtime (the embedder, run in this thread by ``law_kb``) sets flush-to-zero and
    denormals-are-zero; hypothesis refuses to generate floats in that state. Reset the FPU mode."""
    libc = ctypes.CDLL(None)
    libc.fesetenv(ctypes.c_void_p(-1))  # FE_DFL_ENV in glibc


@pytest.fixture(scope="module")
def app(law_kb, tmp_path_factory):
    home = copy_store(law_kb.settings.home, tmp_path_factory.mktemp("schemathesis") / "home")
    return create_app(Settings(home=home, show_progress=False), ServiceSettings())


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_dict(app.openapi())


@pytest.fixture(scope="module")
def base_url(app):
    restore_subnormal_floats()
    with live_server(app) as url:  # the start-up loads the index once, for every case
        yield url


@pytest.fixture
def sent(api_schema):
    """Requests sent per operation; once every operation's cases have run, each operation had
    some and all together a few hundred."""
    calls: dict[str, int] = {}
    yield calls
    assert set(calls) == {operation.ok().label for operation in api_schema.get_all_operations()}
    assert sum(calls.values()) >= 200, calls


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_every_operation(case, base_url, sent):
    # Schema-valid is not always answerable: a question of spaces, an unknown exam source or a
    # conversation without user text are refused with 400 by design, so "positive data
    # acceptance" is left out; every other check (server errors, status codes, response
    # schemas, content types, headers, negative data rejected) runs.
    case.call_and_validate(base_url=base_url, excluded_checks=[positive_data_acceptance], timeout=60)
    sent[case.operation.label] = sent.get(case.operation.label, 0) + 1
