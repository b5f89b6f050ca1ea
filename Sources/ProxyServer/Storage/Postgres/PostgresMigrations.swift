import Logging
import PostgresNIO

/// The PostgreSQL schema, versioned. Applied at start-up under an advisory lock, so that
/// instances starting together apply each version once; a version is never edited once
/// released, only followed by a new one.
enum PostgresMigrations {
    /// `pg_advisory_lock` key: any number no other application on the database uses.
    static let lockKey = 7_421_001

    static let versions: [(version: Int, sql: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE virtual_keys (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL, "user" TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, models TEXT NOT NULL,
                    monthly_requests BIGINT, monthly_tokens BIGINT, disabled BOOLEAN NOT NULL DEFAULT false, revoked_at BIGINT)
                """,
                """
                CREATE TABLE quota_counts (
                    subject TEXT NOT NULL, period TEXT NOT NULL, requests BIGINT NOT NULL, used BIGINT NOT NULL DEFAULT 0,
                    tokens BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (subject, period))
                """,
                """
                CREATE TABLE usage_records (
                    id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, "user" TEXT NOT NULL, key_id TEXT,
                    model TEXT NOT NULL, provider TEXT NOT NULL, account TEXT NOT NULL, prompt_tokens BIGINT NOT NULL,
                    completion_tokens BIGINT NOT NULL, estimated BOOLEAN NOT NULL, status BIGINT NOT NULL,
                    latency_ms DOUBLE PRECISION NOT NULL, ttfb_ms DOUBLE PRECISION)
                """,
                "CREATE INDEX usage_records_at ON usage_records (at)",
                #"CREATE INDEX usage_records_user_at ON usage_records ("user", at)"#,
                """
                CREATE TABLE upstream_accounts (
                    provider TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, weight DOUBLE PRECISION NOT NULL,
                    api_key TEXT, access_token TEXT, refresh_token TEXT, expires_at DOUBLE PRECISION, pkce_verifier TEXT,
                    pkce_state TEXT, PRIMARY KEY (provider, name))
                """,
                // Each instance's share of each credential's concurrency limit (see `SlotGrants`),
                // renewed while the instance lives. The slot and minute tables are UNLOGGED: rows
                // that live seconds need no WAL, and after a database crash they would have expired.
                """
                CREATE UNLOGGED TABLE slot_grants (
                    credential TEXT NOT NULL, instance TEXT NOT NULL, granted BIGINT NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (credential, instance))
                """,
                #"CREATE UNLOGGED TABLE minute_requests (id TEXT PRIMARY KEY, "user" TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)"#,
                #"CREATE INDEX minute_requests_user_at ON minute_requests ("user", at)"#,
                #"CREATE UNLOGGED TABLE minute_tokens ("user" TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, tokens BIGINT NOT NULL)"#,
                #"CREATE INDEX minute_tokens_user_at ON minute_tokens ("user", at)"#,
                // One more slot for an instance (p_grow) and the minute windows, in one round trip.
                // p_returned: slots the instance gave back and has not written yet, applied first.
                // Under an advisory lock per credential (and per user), so that two instances
                // cannot both take the last place. code: 0 admitted, 1 no free slot, 2 requests per
                // minute, 3 tokens per minute; wait: seconds until a retry can pass.
                """
                CREATE FUNCTION proxy_admit(p_id TEXT, p_credential TEXT, p_instance TEXT, p_slots BIGINT, p_grow BOOLEAN,
                    p_returned BIGINT, p_user TEXT, p_rpm BIGINT, p_tpm BIGINT, p_ttl DOUBLE PRECISION,
                    OUT code BIGINT, OUT wait BIGINT)
                LANGUAGE plpgsql AS $$
                DECLARE n BIGINT; used BIGINT; oldest TIMESTAMPTZ;
                BEGIN
                    code := 0; wait := 0;
                    IF p_grow OR p_returned > 0 THEN
                        PERFORM pg_advisory_xact_lock(hashtextextended('slot:' || p_credential, 0));
                    END IF;
                    IF p_returned > 0 THEN
                        UPDATE slot_grants SET granted = GREATEST(granted - p_returned, 0)
                        WHERE credential = p_credential AND instance = p_instance;
                    END IF;
                    IF p_grow THEN
                        DELETE FROM slot_grants WHERE credential = p_credential AND expires_at < clock_timestamp();
                        SELECT COALESCE(sum(granted), 0) INTO n FROM slot_grants WHERE credential = p_credential;
                        IF n >= p_slots THEN code := 1; wait := 1; RETURN; END IF;
                    END IF;
                    IF p_rpm > 0 OR p_tpm > 0 THEN
                        PERFORM pg_advisory_xact_lock(hashtextextended('minute:' || p_user, 0));
                    END IF;
                    IF p_tpm > 0 THEN
                        DELETE FROM minute_tokens WHERE "user" = p_user AND at < clock_timestamp() - interval '60 seconds';
                        SELECT COALESCE(sum(tokens), 0), min(at) INTO used, oldest FROM minute_tokens WHERE "user" = p_user;
                        IF used >= p_tpm THEN
                            code := 3; wait := GREATEST(1, ceil(60 - extract(epoch FROM clock_timestamp() - oldest)))::BIGINT; RETURN;
                        END IF;
                    END IF;
                    IF p_rpm > 0 THEN
                        DELETE FROM minute_requests WHERE "user" = p_user AND at < clock_timestamp() - interval '60 seconds';
                        SELECT count(*), min(at) INTO n, oldest FROM minute_requests WHERE "user" = p_user;
                        IF n >= p_rpm THEN
                            code := 2; wait := GREATEST(1, ceil(60 - extract(epoch FROM clock_timestamp() - oldest)))::BIGINT; RETURN;
                        END IF;
                        INSERT INTO minute_requests (id, "user", at) VALUES (p_id, p_user, clock_timestamp());
                    END IF;
                    IF p_grow THEN
                        INSERT INTO slot_grants AS g (credential, instance, granted, expires_at)
                        VALUES (p_credential, p_instance, 1, clock_timestamp() + make_interval(secs => p_ttl))
                        ON CONFLICT (credential, instance) DO UPDATE SET granted = g.granted + 1, expires_at = excluded.expires_at;
                    END IF;
                END $$
                """,
                // quota_counts.requests: units reserved by leases (what admission is bounded by);
                // used: requests the instances reported as admitted (what callers are shown).
                // A block of a subject's remaining requests for one instance: a sixteenth of what
                // remains, at least 1 (while any remains) and at most 256. The row is locked while
                // it is read and raised, so the grants of every instance add up to the limit at most.
                """
                CREATE FUNCTION proxy_lease_quota(p_subject TEXT, p_period TEXT, p_limit BIGINT, p_now BIGINT,
                    OUT granted BIGINT, OUT requests BIGINT, OUT used BIGINT, OUT tokens BIGINT)
                LANGUAGE plpgsql AS $$
                DECLARE remaining BIGINT;
                BEGIN
                    INSERT INTO quota_counts (subject, period, requests, tokens, updated_at)
                    VALUES (p_subject, p_period, 0, 0, p_now) ON CONFLICT DO NOTHING;
                    SELECT q.requests, q.used, q.tokens INTO requests, used, tokens FROM quota_counts q
                    WHERE q.subject = p_subject AND q.period = p_period FOR UPDATE;
                    remaining := GREATEST(p_limit - requests, 0);
                    granted := LEAST(remaining, GREATEST(1, LEAST(remaining / 16, 256)));
                    IF granted > 0 THEN
                        UPDATE quota_counts q SET requests = q.requests + granted, updated_at = p_now
                        WHERE q.subject = p_subject AND q.period = p_period;
                        requests := requests + granted;
                    END IF;
                END $$
                """,
            ]
        ),
        // Which of the three doors (Chat Completions, Messages, Responses) a request came through.
        (version: 2, sql: [#"ALTER TABLE usage_records ADD COLUMN door TEXT NOT NULL DEFAULT 'chat'"#]),
        // Responses-API responses kept for `previous_response_id`, by every instance.
        (
            version: 3,
            sql: [
                #"CREATE TABLE stored_responses (id TEXT PRIMARY KEY, "user" TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL, document TEXT NOT NULL)"#,
                "CREATE INDEX stored_responses_expires_at ON stored_responses (expires_at)",
            ]
        ),
        // The parts of a record's prompt and completion tokens: cache read, cache write, reasoning.
        (
            version: 4,
            sql: [
                "ALTER TABLE usage_records ADD COLUMN cache_read_tokens BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE usage_records ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE usage_records ADD COLUMN reasoning_tokens BIGINT NOT NULL DEFAULT 0",
            ]
        ),
        // Spend: each record's price, each month's cost, and the tokens and dollars reserved by
        // requests in flight on every instance (see `QuotaReservation`).
        (
            version: 5,
            sql: [
                "ALTER TABLE usage_records ADD COLUMN cost_microdollars BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE usage_records ADD COLUMN priced BOOLEAN NOT NULL DEFAULT true",
                "ALTER TABLE quota_counts ADD COLUMN microdollars BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE quota_counts ADD COLUMN reserved_tokens BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE quota_counts ADD COLUMN reserved_microdollars BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE virtual_keys ADD COLUMN monthly_microdollars BIGINT",
                // Reserves both amounts when both fit (a limit of 0 is none), the row locked
                // while it is read and raised: every instance's reservations and reported usage
                // add up to the limits at most.
                """
                CREATE FUNCTION proxy_reserve_spend(p_subject TEXT, p_period TEXT, p_tokens BIGINT, p_microdollars BIGINT,
                    p_token_limit BIGINT, p_microdollar_limit BIGINT, p_now BIGINT,
                    OUT granted BOOLEAN, OUT remaining_tokens BIGINT, OUT remaining_microdollars BIGINT)
                LANGUAGE plpgsql AS $$
                DECLARE q quota_counts%ROWTYPE;
                BEGIN
                    INSERT INTO quota_counts (subject, period, requests, tokens, updated_at)
                    VALUES (p_subject, p_period, 0, 0, p_now) ON CONFLICT DO NOTHING;
                    SELECT * INTO q FROM quota_counts c WHERE c.subject = p_subject AND c.period = p_period FOR UPDATE;
                    remaining_tokens := p_token_limit - q.tokens - q.reserved_tokens;
                    remaining_microdollars := p_microdollar_limit - q.microdollars - q.reserved_microdollars;
                    granted := (p_token_limit = 0 OR p_tokens <= remaining_tokens)
                        AND (p_microdollar_limit = 0 OR p_microdollars <= remaining_microdollars);
                    IF granted THEN
                        UPDATE quota_counts c SET reserved_tokens = c.reserved_tokens + p_tokens,
                            reserved_microdollars = c.reserved_microdollars + p_microdollars, updated_at = p_now
                        WHERE c.subject = p_subject AND c.period = p_period;
                        remaining_tokens := remaining_tokens - p_tokens;
                        remaining_microdollars := remaining_microdollars - p_microdollars;
                    END IF;
                END $$
                """,
            ]
        ),
    ]

    /// Applies every version the database lacks, holding the advisory lock on one connection.
    static func apply(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger)
                var applied: Set<Int> = []
                for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                    .decode(Int.self)
                {
                    applied.insert(version)
                }
                for migration in Self.versions where !applied.contains(migration.version) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in migration.sql {
                            try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await transaction.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger)
                    }
                    logger.info("state store migrated", metadata: ["version": "\(migration.version)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
        }
    }
}
