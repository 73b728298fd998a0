import Storage

/// The gateway's schema, as an ordered list of migrations. Later versions only add.
/// Times are integer milliseconds since the Unix epoch; JSON columns hold JSON text.
/// PostgreSQL databases start at version 11's schema in migration 1 (`PostgresSchema`), so its
/// versions 2-11 have nothing to do there; later versions carry SQL for both.
public enum BridgeSchema {
    /// Every migration this binary knows, oldest first.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "domain", sqlite: domain, postgres: PostgresSchema.current),
        Migration(version: 2, name: "delivery targets gone", sqlite: targetsGone, postgres: ""),
        Migration(version: 3, name: "lighter delivery indexes", sqlite: lighterDeliveryIndexes, postgres: ""),
        Migration(version: 4, name: "web chat sessions", sqlite: webChatSessions, postgres: ""),
        Migration(version: 5, name: "api key rates, campaign dispatches", sqlite: keyRatesAndDispatches, postgres: ""),
        Migration(version: 6, name: "bot outages", sqlite: botOutages, postgres: ""),
        Migration(version: 7, name: "cases waiting for an agent", sqlite: casesWaiting, postgres: ""),
        Migration(version: 8, name: "contact-center references", sqlite: caseReferences, postgres: ""),
        Migration(version: 9, name: "profiles", sqlite: profiles, postgres: ""),
        Migration(version: 10, name: "knowledge-base locale in the full-text index", sqlite: knowledgeBaseLocaleIndex, postgres: ""),
        Migration(version: 11, name: "delivery leases", sqlite: deliveryLeases, postgres: ""),
        Migration(version: 12, name: "knowledge-base index on PostgreSQL") { db in
            guard db.dialect == .postgres else { return }
            try db.execute(postgresKnowledgeBaseIndex)
            try KnowledgeBase.indexPending(in: db)
        },
    ]

    /// Version 12, PostgreSQL only (SQLite has FTS5): the knowledge base's own inverted index, so
    /// that a search finds and ranks the articles FTS5 would, with the same BM25 scores.
    /// `kb_postings` holds, for each term of an article (its words as FTS5's unicode61 tokenizer
    /// reads them, computed by `FTS5Tokenizer` at import), how often it occurs in the title, the
    /// body and the tags, with the article's locale token and length in tokens (BM25's document
    /// length), all in the primary key's index, so that a search reads one index range per word
    /// (an index-only scan). Terms sort in code-point order (`C`), so a prefix is one range, as in
    /// `kb_term_counts`. `kb_index_totals` keeps the
    /// number of articles and of tokens (BM25's N and average length). `tokens` is null for an
    /// article not indexed yet (one copied in by SQL): the next import indexes it. Articles already
    /// there are indexed by this migration.
    static let postgresKnowledgeBaseIndex = """
    ALTER TABLE kb_articles ADD COLUMN tokens INTEGER;
    CREATE INDEX kb_articles_unindexed ON kb_articles(id) WHERE tokens IS NULL;
    CREATE TABLE kb_postings (
        term TEXT COLLATE "C" NOT NULL,
        article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        title INTEGER NOT NULL,
        body INTEGER NOT NULL,
        tags INTEGER NOT NULL,
        PRIMARY KEY (term, article_id) INCLUDE (lang, tokens, title, body, tags)
    );
    CREATE INDEX kb_postings_by_article ON kb_postings(article_id);
    ALTER TABLE kb_term_counts ALTER COLUMN term TYPE TEXT COLLATE "C";
    CREATE TABLE kb_index_totals (
        only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
        articles BIGINT NOT NULL,
        tokens BIGINT NOT NULL
    );
    INSERT INTO kb_index_totals (articles, tokens) VALUES (0, 0);
    """

    /// Version 11: which gateway holds a delivery it is sending, and until when (milliseconds).
    /// On PostgreSQL, where several gateways share the outbox, a delivery whose lease has ended
    /// (its gateway died) is taken over; SQLite's one gateway keeps the columns for `copy`.
    static let deliveryLeases = """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
    """

    /// Version 10: the article's locale is a column of the full-text index (one token such as
    /// `langfrca` for `fr-CA`), so a search for one locale only scores that locale's articles
    /// instead of scoring every match and filtering afterwards. `kb_term_counts` keeps how many
    /// articles hold each term (what the search uses to leave out words that rank nothing),
    /// refreshed from `kb_terms` by each import that changes articles: reading the counts
    /// through `kb_terms` walks every term's whole list at each search.
    static let knowledgeBaseLocaleIndex = """
    ALTER TABLE kb_articles ADD COLUMN lang TEXT GENERATED ALWAYS AS ('lang' || lower(replace(replace(locale, '-', ''), '_', ''))) VIRTUAL;
    DROP TRIGGER kb_articles_ai;
    DROP TRIGGER kb_articles_ad;
    DROP TRIGGER kb_articles_au;
    DROP TABLE kb_articles_fts;
    CREATE VIRTUAL TABLE kb_articles_fts USING fts5(
        title, body, tags, lang,
        content = 'kb_articles', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE kb_terms USING fts5vocab(kb_articles_fts, 'row');
    INSERT INTO kb_articles_fts (kb_articles_fts) VALUES ('rebuild');
    CREATE TABLE kb_term_counts (term TEXT PRIMARY KEY, articles INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO kb_term_counts (term, articles) SELECT term, doc FROM kb_terms;
    CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
        INSERT INTO kb_articles_fts (rowid, title, body, tags, lang) VALUES (new.id, new.title, new.body, new.tags, new.lang);
    END;
    CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
        INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body, tags, lang) VALUES ('delete', old.id, old.title, old.body, old.tags, old.lang);
    END;
    CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN
        INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body, tags, lang) VALUES ('delete', old.id, old.title, old.body, old.tags, old.lang);
        INSERT INTO kb_articles_fts (rowid, title, body, tags, lang) VALUES (new.id, new.title, new.body, new.tags, new.lang);
    END;
    """

    /// Version 9: users the business identified (their external id is its own, not a derived
    /// `usr_...`), Braze user aliases (one user per label and name), the users by email and phone,
    /// and how far each profile sink has read the attribute writes and events.
    static let profiles = """
    ALTER TABLE users ADD COLUMN identified INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET identified = 1 WHERE external_id NOT LIKE 'usr\\_%' ESCAPE '\\';
    CREATE TABLE user_aliases (
        label TEXT NOT NULL,
        name TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (label, name)
    ) WITHOUT ROWID;
    CREATE INDEX user_aliases_by_user ON user_aliases(user_id);
    CREATE INDEX user_attributes_by_email ON user_attributes(value) WHERE name = 'email';
    CREATE INDEX user_attributes_by_phone ON user_attributes(value) WHERE name = 'phone';
    CREATE TABLE profile_sink_cursors (
        sink TEXT PRIMARY KEY,
        attribute_write_id INTEGER NOT NULL,
        event_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    """

    /// Version 8: what a contact center's answers told us about a case (its own conversation id,
    /// a contact id...), kept as a JSON object, and the cases by the contact center's own id.
    static let caseReferences = """
    ALTER TABLE cases ADD COLUMN refs TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX cases_by_ref ON cases(contact_center, external_ref) WHERE external_ref IS NOT NULL;
    """

    /// Version 7: when a case's "no agent available" fallback ran, and the open cases by age
    /// (only those not yet handled are in the index).
    static let casesWaiting = """
    ALTER TABLE cases ADD COLUMN no_agent_at INTEGER;
    CREATE INDEX cases_waiting ON cases(opened_at) WHERE state = 'open' AND no_agent_at IS NULL;
    """

    /// Version 6: when a conversation's bot was found unavailable (its policy has run; cleared
    /// when a bot delivery of the conversation succeeds), and the failing bot deliveries the
    /// watcher looks at, indexed by age (a partial index: only those rows are in it).
    static let botOutages = """
    ALTER TABLE conversations ADD COLUMN bot_unavailable_at INTEGER;
    CREATE INDEX deliveries_failing_bots ON deliveries(created_at)
        WHERE kind = 'bot' AND status = 'pending' AND last_error IS NOT NULL;
    """

    /// Version 5: a per-key request rate (null: the configured default), and the message each
    /// API call created, so its answer can name them and idempotent replays find them.
    static let keyRatesAndDispatches = """
    ALTER TABLE api_keys ADD COLUMN rate_per_second REAL;
    ALTER TABLE messages ADD COLUMN dispatch_id TEXT;
    CREATE INDEX messages_by_dispatch ON messages(dispatch_id) WHERE dispatch_id IS NOT NULL;
    """

    /// Version 4: web-chat sessions. The token is shown once and stored as its SHA-256.
    static let webChatSessions = """
    CREATE TABLE webchat_sessions (
        token_hash TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        locale TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX webchat_sessions_by_identity ON webchat_sessions(identity_id);
    """

    /// Version 3: every status change rewrote a full (status, id) index entry twice; operators
    /// only need the dead ones indexed (the pending ones already are, by deliveries_due).
    static let lighterDeliveryIndexes = """
    DROP INDEX deliveries_by_status;
    CREATE INDEX deliveries_dead ON deliveries(id) WHERE status = 'dead';
    """

    /// Version 2: targets that answered 410 Gone. Their deliveries stop until an operator replays one.
    static let targetsGone = """
    CREATE TABLE delivery_targets (
        target TEXT PRIMARY KEY,
        gone_at INTEGER,
        gone_reason TEXT
    ) WITHOUT ROWID;
    """

    /// Version 1: the whole domain of DESIGN.md.
    static let domain = """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        external_id TEXT UNIQUE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );

    -- One address on one channel belongs to one user.
    CREATE TABLE identities (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        display_name TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (channel, address)
    );
    CREATE INDEX identities_by_user ON identities(user_id);

    -- Current attribute values (JSON), with where each came from.
    CREATE TABLE user_attributes (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        source TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, name)
    ) WITHOUT ROWID;

    -- Every attribute write, with its source (api, channel, rule:<id>, bot:<id>, system).
    CREATE TABLE user_attribute_writes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT,
        source TEXT NOT NULL,
        written_at INTEGER NOT NULL
    );
    CREATE INDEX user_attribute_writes_by_user ON user_attribute_writes(user_id, id);

    CREATE TABLE user_events (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        properties TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL,
        occurred_at INTEGER NOT NULL
    );
    CREATE INDEX user_events_by_user ON user_events(user_id, occurred_at);

    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        identity_id INTEGER NOT NULL REFERENCES identities(id),
        state TEXT NOT NULL DEFAULT 'bot' CHECK (state IN ('bot', 'queued', 'agent', 'closed')),
        locale TEXT,
        last_inbound_at INTEGER,
        case_id INTEGER REFERENCES cases(id),
        next_sequence INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    -- At most one open conversation per identity.
    CREATE UNIQUE INDEX conversations_open_by_identity ON conversations(identity_id) WHERE state <> 'closed';
    CREATE INDEX conversations_by_user ON conversations(user_id);

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        sequence INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
        author_kind TEXT NOT NULL CHECK (author_kind IN ('user', 'bot', 'agent', 'system')),
        author_id TEXT,
        type TEXT NOT NULL DEFAULT 'text',
        text TEXT,
        payload TEXT,
        channel TEXT NOT NULL,
        provider_message_id TEXT,
        status TEXT CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed', 'undelivered')),
        status_at INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (conversation_id, sequence)
    );
    -- A provider's retry of the same message id stores nothing new.
    CREATE UNIQUE INDEX messages_by_provider_id ON messages(channel, provider_message_id) WHERE provider_message_id IS NOT NULL;

    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'assigned', 'resolved', 'cancelled')),
        reason TEXT NOT NULL,
        detector TEXT,
        queue TEXT,
        skills TEXT NOT NULL DEFAULT '[]',
        contact_center TEXT,
        external_ref TEXT,
        agent TEXT,
        csat INTEGER,
        opened_at INTEGER NOT NULL,
        assigned_at INTEGER,
        resolved_at INTEGER
    );
    CREATE INDEX cases_by_conversation ON cases(conversation_id);

    -- Keys are shown once; only a SHA-256 of the secret part is kept.
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        hash BLOB NOT NULL UNIQUE,
        scopes TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
    );

    CREATE TABLE idempotency_keys (
        api_key_id INTEGER NOT NULL REFERENCES api_keys(id),
        key TEXT NOT NULL,
        route TEXT NOT NULL,
        request_hash BLOB NOT NULL,
        response_status INTEGER,
        response_body BLOB,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (api_key_id, key)
    ) WITHOUT ROWID;

    -- The durable outbox: one row per outbound HTTP call, written in the transaction that caused it.
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        webhook_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        ordering_key TEXT,
        conversation_id INTEGER REFERENCES conversations(id),
        message_id INTEGER REFERENCES messages(id),
        method TEXT NOT NULL DEFAULT 'POST',
        url TEXT NOT NULL,
        headers TEXT NOT NULL DEFAULT '[]',
        body BLOB NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        done_at INTEGER
    );
    CREATE INDEX deliveries_due ON deliveries(next_attempt_at, id) WHERE status = 'pending';
    CREATE INDEX deliveries_open_by_key ON deliveries(ordering_key, id) WHERE status IN ('pending', 'sending');
    CREATE INDEX deliveries_open_by_target ON deliveries(target) WHERE status IN ('pending', 'sending');
    CREATE INDEX deliveries_by_status ON deliveries(status, id);
    CREATE INDEX deliveries_by_conversation ON deliveries(conversation_id, id) WHERE conversation_id IS NOT NULL;

    CREATE TABLE kb_articles (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        locale TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        url TEXT,
        tags TEXT NOT NULL DEFAULT '',
        updated_at INTEGER NOT NULL,
        UNIQUE (slug, locale)
    );
    -- Full-text index over the articles, accent- and case-insensitive.
    CREATE VIRTUAL TABLE kb_articles_fts USING fts5(
        title, body, tags,
        content = 'kb_articles', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
        INSERT INTO kb_articles_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
    END;
    CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
        INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
    END;
    CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN
        INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
        INSERT INTO kb_articles_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
    END;
    """
}
