"""One settings object, read from the environment (prefix ASSISTANT_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _user_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "council-assistant"


class Settings(BaseSettings):
    """Everything configurable; CLI options override these per call."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", populate_by_name=True)

    index: Path = Field(default=Path("index"), description="Index directory (with a database "
                        "URL: only the local files, such as uploads and the ingest's vector cache)")
    database_url: str | None = Field(
        default=None, description="postgresql://… to keep the index, conversations and bot "
                                  "records in PostgreSQL with pgvector (shared by several "
                                  "servers); unset: SQLite and FAISS files in the index directory")
    collection: str = Field(
        default="default", min_length=1, max_length=100,
        description="Which archive in the database (a council, say): the key tables are "
                    "distributed by")
    database_pool: int = Field(default=8, ge=1, description="Most connections to the database")
    database_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to wait for a database connection; "
                                        "statements may take six times as long")
    model: str = Field(
        default=BUNDLED_MODEL,
        description="Embedding model: the bundled name, or a path to a sentence-transformers folder",
    )
    embedding_backend: Literal["auto", "torch", "onnx-int8", "cuda"] = Field(
        default="auto",
        description="How the model runs: torch (fp32, CPU), onnx-int8 (CPU, about 1.6x "
                    "faster), cuda (GPU, fp16). auto: what an existing index was built with, "
                    "else the GPU when torch sees one, else onnx-int8")
    cache: Path = Field(default_factory=lambda: _user_cache(),
                        description="Where converted models (the int8 copy) are kept")
    batch_size: int = Field(default=32, ge=1, description="Embedding batch size")
    threads: int = Field(default=0, ge=0, description="Torch threads for embedding; 0 = all cores")
    parse_workers: int = Field(
        default=-1, ge=-1, description="Processes that parse (and OCR) files while the model "
                                       "embeds; -1: one fewer than the cores, at most 4; 0: none")
    max_file_mb: float = Field(default=50.0, gt=0, description="Largest file ingestion accepts")
    chunk_tokens: int = Field(default=200, ge=32, le=254, description="Target chunk size in tokens")
    chunk_overlap: int = Field(
        default=0, ge=0, le=3, description="Sentences repeated at the start of the next chunk"
    )
    ann_threshold: int = Field(
        default=200_000, ge=1, description="Vectors above which an approximate (IVF) index is used"
    )
    ivf_nprobe: int = Field(default=24, ge=1, description="IVF lists probed per query")
    ocr: bool = Field(default=True, description="Read PDF pages without a usable text layer "
                                                "by OCR (Tesseract)")
    pdf_password: str | None = Field(default=None, description="Password for encrypted PDFs")
    progress: bool | None = Field(
        default=None, description="Progress bar; default: only when stderr is a terminal"
    )
    upload_queue: int = Field(
        default=16, ge=1, description="Upload jobs that may wait; beyond, uploads get 429"
    )
    rate_limit: str = Field(
        default="120/minute",
        description="Requests per API key (per address without keys), as the `limits` "
                    "library writes them: '120/minute', '10/second;1000/hour'; empty: none",
    )
    bot_rate_limit: str = Field(
        default="20/minute", description="Questions per chat user to the Slack and Teams bots"
    )
    llm_url: str | None = Field(
        default=None, description="An OpenAI-compatible base URL (…/v1) for generated answers; "
                                  "unset: answers are quoted sentences only")
    llm_model: str = Field(default="gpt-4o-mini", description="The model name the server knows")
    llm_api_key: str | None = Field(default=None, description="Bearer key for the model server")
    llm_azure_deployment: str | None = Field(
        default=None, description="Azure OpenAI deployment; set it to use Azure's client "
                                  "(ASSISTANT_LLM_URL is then the resource endpoint)")
    llm_api_version: str = Field(default="2024-10-21", description="Azure OpenAI api-version")
    llm_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the model")
    llm_retries: int = Field(default=2, ge=0, le=10,
                             description="Retries (with backoff) on 429 and 5xx")
    llm_max_context_chars: int = Field(default=8000, ge=500,
                                       description="Most passage text sent with a question")
    llm_max_tokens: int = Field(default=600, ge=50, description="Most tokens of a reply")
    llm_json_schema: bool = Field(
        default=True, description="Ask for a JSON schema reply (response_format); turn off "
                                  "for servers without it: replies are then checked after")
    public_url: str | None = Field(
        default=None, description="This service's public base URL, for links in bot answers"
    )
    # The bots read the names Slack's and Microsoft's own documentation uses, unprefixed.
    slack_signing_secret: str | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_bot_token: str | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    teams_app_id: str | None = Field(default=None, validation_alias="TEAMS_APP_ID")
    teams_app_password: str | None = Field(default=None, validation_alias="TEAMS_APP_PASSWORD")
    teams_app_tenant_id: str | None = Field(default=None, validation_alias="TEAMS_APP_TENANT_ID")
    teams_webhook_secret: str | None = Field(default=None, validation_alias="TEAMS_WEBHOOK_SECRET")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
