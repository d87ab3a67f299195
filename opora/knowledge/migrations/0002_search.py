"""Search structures each database has on its own, outside Django's model state.

PostgreSQL: a generated tsvector column (title weight A, text weight B; the
`russian` or `english` configuration by the text's language) with a GIN index,
and pg_trgm indexes for typo tolerance. SQLite: an FTS5 table the search service
fills with Snowball stems (see opora/knowledge/search.py).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

_CONFIG = "CASE WHEN language = 'en' THEN 'english'::regconfig ELSE 'russian'::regconfig END"

POSTGRES_FORWARD = [
    "ALTER TABLE knowledge_articletranslation ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS (setweight(to_tsvector({_CONFIG}, coalesce(title, '')), 'A') || "
    f"setweight(to_tsvector({_CONFIG}, coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX kb_translation_search ON knowledge_articletranslation USING gin (search_vector)",
    "CREATE INDEX kb_translation_title_trgm ON knowledge_articletranslation "
    "USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX kb_searchterm_trgm ON knowledge_searchterm USING gin (stem gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS kb_searchterm_trgm",
    "DROP INDEX IF EXISTS kb_translation_title_trgm",
    "DROP INDEX IF EXISTS kb_translation_search",
    "ALTER TABLE knowledge_articletranslation DROP COLUMN IF EXISTS search_vector",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_search "
    "USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS knowledge_search"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
