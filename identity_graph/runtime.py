"""Process-level settings for the CLI and the API, from the environment (pydantic-settings).

This is the edge: it reads `IDENTITY_GRAPH_*` variables and the settings file, then hands
plain values to the core.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from identity_graph.config import Settings, load_settings
from identity_graph.service import IdentityService
from identity_graph.stores import DEFAULT_STORE_URL, open_store


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_GRAPH_", extra="ignore")

    store: str = DEFAULT_STORE_URL
    config: Path | None = None


def build_service(store_url: str, config_path: Path | None) -> IdentityService:
    settings: Settings = load_settings(config_path)
    return IdentityService(open_store(store_url), settings)
