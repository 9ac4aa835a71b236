"""The PostgreSQL schema, created and upgraded by the app in numbered steps.

Plain versioned SQL rather than Alembic: the store speaks SQL through psycopg, not
SQLAlchemy, and a list of steps applied in order under an advisory lock (so two servers
starting together do not race) is all that versioning needs here. A new step is appended,
never edited; `schema_migrations` records what a database has had.

Every table carries the key it would be distributed by under Citus (docs/postgres.md):
`collection` for documents and chunks (a council's archive; "default" unless set), and
`conversation_id` or `platform` for the small tables of conversations and bot records.
"""

from __future__ import annotations

from typing import Any

MIGRATIONS: list[str] = [
    # 1: documents, chunks (vectors and the keyword index), collections (the manifest)
    """
    CREATE TABLE collections (
        collection text PRIMARY KEY,
        model text NOT NULL, dimension integer NOT NULL, chunking jsonb NOT NULL,
        format_version integer NOT NULL, generation bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE documents (
        collection text NOT NULL, doc_id text NOT NULL, source_key text NOT NULL,
        source text NOT NULL, format text NOT NULL, title text, doc_type text NOT NULL,
        committee text, meeting_date text, publication_date text, decision_status text,
        url text, restricted boolean NOT NULL DEFAULT false,
        page_starts jsonb NOT NULL DEFAULT '[]', extra jsonb NOT NULL DEFAULT '{}',
        content_hash text NOT NULL, text text NOT NULL,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (collection, doc_id), UNIQUE (collection, source_key));
    CREATE INDEX documents_by_meeting ON documents (collection, meeting_date);
    CREATE SEQUENCE chunk_ids;
    CREATE TABLE chunks (
        collection text NOT NULL, id bigint NOT NULL, doc_id text NOT NULL,
        ordinal integer NOT NULL, start integer NOT NULL, "end" integer NOT NULL,
        page_start integer, page_end integer, section text, text text NOT NULL,
        restricted boolean NOT NULL DEFAULT false,
        terms tsvector NOT NULL, embedding halfvec NOT NULL,
        PRIMARY KEY (collection, id),
        FOREIGN KEY (collection, doc_id) REFERENCES documents (collection, doc_id)
            ON DELETE CASCADE);
    CREATE INDEX chunks_by_doc ON chunks (collection, doc_id, ordinal);
    CREATE INDEX chunks_terms ON chunks USING gin (terms);
    """,
    # 2: conversations, the bots' delivery records, answers and feedback
    """
    CREATE TABLE turns (
        conversation_id text NOT NULL, n integer NOT NULL, question text NOT NULL,
        query text NOT NULL, answer text NOT NULL, owner text NOT NULL DEFAULT '',
        created_at text NOT NULL, PRIMARY KEY (conversation_id, n));
    CREATE TABLE deliveries (
        platform text NOT NULL, delivery_id text NOT NULL, received_at text NOT NULL,
        PRIMARY KEY (platform, delivery_id));
    CREATE TABLE answers (
        answer_id text PRIMARY KEY, platform text NOT NULL, conversation_id text NOT NULL,
        question text NOT NULL, answer text NOT NULL, created_at text NOT NULL);
    CREATE TABLE feedback (
        answer_id text NOT NULL REFERENCES answers (answer_id), "user" text NOT NULL,
        verdict text NOT NULL, created_at text NOT NULL, PRIMARY KEY (answer_id, "user"));
    """,
    # 3: upload jobs, so any server can report a job another one runs
    """
    CREATE TABLE jobs (
        job_id text PRIMARY KEY, status text NOT NULL, files jsonb NOT NULL,
        error text, updated_at timestamptz NOT NULL DEFAULT now());
    """,
    # 4: tokens per chunk, BM25's document length (counted from the stored positions)
    """
    ALTER TABLE chunks ADD COLUMN n_tokens integer;
    UPDATE chunks SET n_tokens = (SELECT COALESCE(SUM(array_length(positions, 1)), 0)
                                  FROM unnest(terms));
    ALTER TABLE chunks ALTER COLUMN n_tokens SET NOT NULL;
    """,
]
LOCK_KEY = 7_316_482_019  # pg_advisory_xact_lock key held while migrating


def vector_index_sql(dimension: int) -> str:
    """The HNSW index over vectors of one dimension (a partial index, so collections built
    with models of different sizes can share the table)."""
    return (f"CREATE INDEX IF NOT EXISTS chunks_embedding_{dimension} ON chunks USING hnsw "
            f"((embedding::halfvec({dimension})) halfvec_cosine_ops) "
            f"WHERE vector_dims(embedding) = {dimension}")


def migrate(conn: Any) -> int:
    """Bring the schema up to date; returns the version it is at. `conn` is a psycopg
    connection in autocommit mode; all the missing steps run in one transaction."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, step in enumerate(MIGRATIONS, start=1):
            if version not in done:
                conn.execute(step)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
    return len(MIGRATIONS)
