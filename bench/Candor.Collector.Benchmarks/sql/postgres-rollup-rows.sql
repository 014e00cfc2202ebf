-- What the database spends per event on the rollup rows alone, schema 9 against schema 10, without a collector:
--   psql -h 127.0.0.1 -U postgres -f bench/Candor.Collector.Benchmarks/sql/postgres-rollup-rows.sql
-- In a schema of its own (dropped at the end): both layouts with 14 month partitions, each holding the rows of
-- 260,000 earlier events, then batches of 200 events (20,000 installs, 5 names, 20 contexts, 7 days of the newest
-- month, 5 property values each), each batch its own transaction, the two layouts alternating three times.
-- Schema 9 upserts one rollup_events row and one rollup_values row per value; schema 10 reads the rollup_events
-- rows locked, one index look each in the month of its day, then writes them (the merged summary is the
-- collector's work: a fixed 16 bytes stands for it here). Making a batch's keys is timed alone too (each
-- figure below includes it once).
DROP SCHEMA IF EXISTS candor_rollup_trial CASCADE;
CREATE SCHEMA candor_rollup_trial;
SET search_path = candor_rollup_trial;

CREATE TABLE old_events(product integer, day date, name integer, context integer, install uuid, n bigint,
  PRIMARY KEY(product, day, name, context, install)) PARTITION BY RANGE (day);
CREATE INDEX ON old_events(install);
CREATE TABLE old_values(product integer, day date, name integer, field integer, value integer, context integer, install uuid, n bigint,
  PRIMARY KEY(product, day, name, field, value, context, install)) PARTITION BY RANGE (day);
CREATE INDEX ON old_values(install);
CREATE TABLE packed(product integer, day date, name integer, context integer, install uuid, n bigint, summary bytea,
  PRIMARY KEY(product, day, name, context, install)) PARTITION BY RANGE (day);
CREATE INDEX ON packed(install);
DO $$ BEGIN
  FOR m IN 0..13 LOOP
    EXECUTE format('CREATE TABLE old_events_%s PARTITION OF old_events FOR VALUES FROM (%L) TO (%L)', m, date '2025-11-01' + make_interval(months => m), date '2025-11-01' + make_interval(months => m + 1));
    EXECUTE format('CREATE TABLE old_values_%s PARTITION OF old_values FOR VALUES FROM (%L) TO (%L)', m, date '2025-11-01' + make_interval(months => m), date '2025-11-01' + make_interval(months => m + 1));
    EXECUTE format('CREATE TABLE packed_%s PARTITION OF packed FOR VALUES FROM (%L) TO (%L)', m, date '2025-11-01' + make_interval(months => m), date '2025-11-01' + make_interval(months => m + 1));
  END LOOP;
END $$;

-- The rollup keys of batch b's events (count of them), as the writer sends them: distinct and in key order.
CREATE FUNCTION batch_keys(b integer, count integer, first date, days integer) RETURNS TABLE(day date, name integer, context integer, install uuid)
LANGUAGE sql AS $$
  SELECT DISTINCT first + abs(hashint4(b * 1000 + i + 7)) % days, 1 + abs(hashint4(b * 1000 + i + 11)) % 5,
    1 + abs(hashint4(b * 1000 + i + 13)) % 20, md5((abs(hashint4(b * 1000 + i)) % 20000)::text)::uuid
  FROM generate_series(1, count) i ORDER BY 1, 2, 3, 4 $$;

INSERT INTO old_events SELECT 1, k.*, 1 FROM generate_series(100000, 101299) b, batch_keys(b, 200, date '2025-11-01', 400) k ON CONFLICT DO NOTHING;
INSERT INTO old_values SELECT 1, k.day, k.name, f, abs(hashint4(f * 7 + b)) % 50, k.context, k.install, 1
  FROM generate_series(100000, 101299) b, batch_keys(b, 200, date '2025-11-01', 400) k, generate_series(1, 5) f ON CONFLICT DO NOTHING;
INSERT INTO packed SELECT 1, k.*, 1, '\x05011f01022a010310010405010501'::bytea FROM generate_series(100000, 101299) b, batch_keys(b, 200, date '2025-11-01', 400) k ON CONFLICT DO NOTHING;
VACUUM ANALYZE old_events, old_values, packed;

-- Each procedure makes a batch's keys into arrays first and sends them with unnest(...), as the writer sends its
-- parameters.
CREATE PROCEDURE keys_alone(first integer, batches integer) LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp(); days date[]; names integer[]; contexts integer[]; installs uuid[]; BEGIN
  FOR b IN first..first + batches - 1 LOOP
    SELECT array_agg(k.day), array_agg(k.name), array_agg(k.context), array_agg(k.install) INTO days, names, contexts, installs
      FROM batch_keys(b, 200, date '2026-12-01', 7) k;
    COMMIT;
  END LOOP;
  RAISE NOTICE 'a batch''s keys made:                               % µs per event', round(extract(epoch FROM clock_timestamp() - started) * 1e6 / (batches * 200), 1);
END $$;

CREATE PROCEDURE schema_9(first integer, batches integer) LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp(); days date[]; names integer[]; contexts integer[]; installs uuid[]; BEGIN
  FOR b IN first..first + batches - 1 LOOP
    SELECT array_agg(k.day), array_agg(k.name), array_agg(k.context), array_agg(k.install) INTO days, names, contexts, installs
      FROM batch_keys(b, 200, date '2026-12-01', 7) k;
    INSERT INTO old_events AS r SELECT 1, k.*, 1 FROM unnest(days, names, contexts, installs) AS k(day, name, context, install)
      ON CONFLICT (product, day, name, context, install) DO UPDATE SET n = r.n + excluded.n;
    INSERT INTO old_values AS r
      SELECT DISTINCT ON (k.day, k.name, f, v, k.context, k.install) 1, k.day, k.name, f, abs(hashint4(f * 7 + b)) % 50 AS v, k.context, k.install, 1
      FROM unnest(days, names, contexts, installs) AS k(day, name, context, install), generate_series(1, 5) f
      ORDER BY k.day, k.name, f, v, k.context, k.install
      ON CONFLICT (product, day, name, field, value, context, install) DO UPDATE SET n = r.n + excluded.n;
    COMMIT;
  END LOOP;
  RAISE NOTICE 'schema 9, rollup_events and rollup_values upserts:  % µs per event', round(extract(epoch FROM clock_timestamp() - started) * 1e6 / (batches * 200), 1);
END $$;

CREATE PROCEDURE schema_10(first integer, batches integer) LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp(); days date[]; names integer[]; contexts integer[]; installs uuid[]; BEGIN
  FOR b IN first..first + batches - 1 LOOP
    SELECT array_agg(k.day), array_agg(k.name), array_agg(k.context), array_agg(k.install) INTO days, names, contexts, installs
      FROM batch_keys(b, 200, date '2026-12-01', 7) k;
    PERFORM r.* FROM unnest(days, names, contexts, installs) AS k(day, name, context, install)
      CROSS JOIN LATERAL (SELECT r.n, r.summary FROM packed r
        WHERE r.product = 1 AND r.day = k.day AND r.name = k.name AND r.context = k.context AND r.install = k.install FOR UPDATE) r;
    INSERT INTO packed AS r SELECT 1, k.*, 1, '\x05011f01022a010310010405010502'::bytea FROM unnest(days, names, contexts, installs) AS k(day, name, context, install)
      ON CONFLICT (product, day, name, context, install) DO UPDATE SET n = r.n + excluded.n, summary = excluded.summary;
    COMMIT;
  END LOOP;
  RAISE NOTICE 'schema 10, rollup_events read locked, then written: % µs per event', round(extract(epoch FROM clock_timestamp() - started) * 1e6 / (batches * 200), 1);
END $$;

-- Each CALL is its own statement (the procedures commit per batch); the layouts alternate, on the same keys.
CALL keys_alone(1000, 300);
CALL schema_9(2000, 300);
CALL schema_10(2000, 300);
CALL schema_9(3000, 300);
CALL schema_10(3000, 300);
CALL schema_9(4000, 300);
CALL schema_10(4000, 300);

DROP SCHEMA candor_rollup_trial CASCADE;
