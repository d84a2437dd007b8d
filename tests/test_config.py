from pathlib import Path

import pytest

from app.config import ConfigError, load_settings


def test_defaults_then_toml_then_env_then_overrides(tmp_path):
    toml = tmp_path / "n.toml"
    toml.write_text('[narratives]\nmodel = "hashing-64"\nframe_threshold = 0.7\nbatch_size = 8\n')
    s = load_settings(toml, env={"NARRATIVES_BATCH_SIZE": "16"}, db=tmp_path / "x.duckdb")
    assert s.model == "hashing-64"
    assert s.frame_threshold == 0.7
    assert s.batch_size == 16  # env beats the file
    assert s.db == tmp_path / "x.duckdb"  # explicit beats everything


def test_env_db(tmp_path):
    s = load_settings(env={"NARRATIVES_DB": str(tmp_path / "e.duckdb")})
    assert s.db == Path(tmp_path / "e.duckdb")


def test_unknown_setting_is_named(tmp_path):
    toml = tmp_path / "n.toml"
    toml.write_text("[narratives]\nthreshhold = 0.3\n")
    with pytest.raises(ConfigError, match="threshhold"):
        load_settings(toml, env={})


def test_bad_env_value_is_named():
    with pytest.raises(ConfigError, match="NARRATIVES_BATCH_SIZE"):
        load_settings(env={"NARRATIVES_BATCH_SIZE": "many"})
