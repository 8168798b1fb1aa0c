from __future__ import annotations

from pathlib import Path

import pytest

from identity_graph.config import Settings, load_settings
from identity_graph.errors import ConfigError
from identity_graph.ingest.records import RecordMapping

ROOT = Path(__file__).resolve().parent.parent


def test_documented_example_settings_are_the_defaults() -> None:
    assert load_settings(ROOT / "examples" / "settings.toml") == Settings()


def test_documented_example_mapping_loads() -> None:
    m = RecordMapping.load(ROOT / "examples" / "crm-mapping.yaml")
    assert m.id_type == "crm_id" and m.identifiers["E-Mail"] == "email"


def test_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("merge_threshold: 0.97\ntype_limits: {crm_id: 2}\n")
    s = load_settings(path, review_threshold=0.5)
    assert (s.merge_threshold, s.review_threshold, s.type_limits) == (0.97, 0.5, {"crm_id": 2})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("merge_threshold = 1.5", "merge_threshold"),
        ("review_threshold = 0.99", "review_threshold must not exceed"),
        ("[type_limits]\nshoe = 1", "'shoe' is not a configured identifier type"),
        ("device_types = ['tablet']", "'tablet' is not a configured identifier type"),
        ("[consent_categories]\nAdvertising = ' '", "consent_categories.Advertising"),
        ("[consent_defaults]\nads = 'maybe'", "consent_defaults.ads"),
        ("[identifier_types]\nshoe = 'rot13'", "identifier_types.shoe: unknown normalizer"),
        ("colour = 'blue'", "colour"),
        ("default_phone_region = 'ZZ'", "default_phone_region.*not a region"),
        ("not toml ===", "not valid"),
    ],
)
def test_bad_settings_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_missing_settings_file() -> None:
    with pytest.raises(ConfigError, match="cannot read settings file"):
        load_settings("/no/such/file.toml")


def test_phone_region_in_any_case_normalizes_national_numbers() -> None:
    from identity_graph.ingest.normalize import Normalizer

    settings = Settings(default_phone_region="gb")
    assert settings.default_phone_region == "GB"
    assert Normalizer(settings).normalize("phone", "020 7946 0018") == "+442079460018"
