"""Settings: every field is read from its environment variable, and the table lists them all."""

from dataclasses import fields

import pytest

from shared import config

_SAMPLES = {int: "7", float: "2.5", bool: "false", str: "sample"}
_PARSED = {int: 7, float: 2.5, bool: False, str: "sample"}


@pytest.mark.parametrize("field", fields(config.Settings), ids=lambda f: f.name)
def test_every_setting_is_read_from_its_environment_variable(field, monkeypatch):
    kind = type(field.default)
    monkeypatch.setenv(field.name.upper(), _SAMPLES[kind])
    value = getattr(config.load(), field.name)
    assert value == _PARSED[kind] or value.lower() == "sample"  # some are upper- or lower-cased


def test_an_unset_or_empty_variable_means_the_default_except_where_empty_is_meaningful(
    monkeypatch,
):
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("SCHEDULER_ROUTINES", "")
    loaded = config.load()
    assert loaded.database_url == config.Settings().database_url
    assert loaded.scheduler_routines == ""  # "empty adds none"


def test_a_value_that_does_not_parse_is_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("RELAY_BATCH_SIZE", "many")
    with pytest.raises(ValueError, match="RELAY_BATCH_SIZE must be an integer"):
        config.load()


def test_the_table_has_a_row_with_a_meaning_for_every_variable():
    rows = config.table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [f.name.upper() for f in fields(config.Settings)]
    assert all(row.rstrip(" |").rsplit("|", 1)[1].strip() for row in rows)
