"""Schemathesis over the OpenAPI document: every operation, valid and invalid input, with and
without credentials. No server error, no undocumented status or shape, bad input gets a 4xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN
from matching.demo import DEMO_TEAM
from profiles.demo import DEMO_HR
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import make_app, token_for


@pytest.fixture(scope="module")
def fuzzed_app(demo_database, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    shutil.copyfile(demo_database, path)
    app = make_app(f"sqlite:///{path}")
    yield app
    app.extensions["jx_db"].engine.dispose()


@pytest.fixture(scope="module")
def credentials(fuzzed_app):
    client = fuzzed_app.test_client()
    return {
        "anonymous": {},
        "admin": {"Authorization": "Bearer " + token_for(client, "admin", *DEMO_ADMIN, contest=None)},
        "referee": {"Authorization": "Bearer " + token_for(client, "referee", "WZ-R1", DEMO_REFEREE_PIN)},
        "contestant": {"Authorization": "Bearer " + token_for(client, "contestant", "WZ008", DEMO_CONTESTANT_PIN)},
        "hr": {"Authorization": "Bearer " + token_for(client, "admin", *DEMO_HR, contest=None)},
        "team": {"Authorization": "Bearer " + token_for(client, "admin", *DEMO_TEAM, contest=None)},
    }


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return schema


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_operation_errors_or_answers_outside_its_documentation(api_schema, credentials, mode):
    """Every operation, generated input of one mode, sent as every role signed in or not.

    Valid-looking input may still be refused for good reasons (no such ticket, wrong role, contest
    state), so "valid input is accepted" is not a property of this API; every other check is.
    """
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 19
    exercised = 0
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            for headers in credentials.values():
                case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        try:
            check()
            exercised += 1
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid input
    assert exercised >= (len(operations) if mode is GenerationMode.POSITIVE else 14)
