-- queue_interval_15m (mart, analytics.queue_interval_15m): per org, queue, channel and 15-minute
-- UTC interval in [$window_start, $window_end), the counts and ms sums of the contacts whose last
-- queue it was. Arrival-clock columns come from the contacts created in the interval, end-clock
-- columns from the answered contacts that ended in it (column comments say which; see
-- warehouse/schemas_analytics.py). Local columns use the queue's time zone from the
-- queue_time_zone relation (registered per run), else $time_zone.
-- Reads: stg_contact. Grain: queue x channel x 15-minute UTC interval.
WITH arrivals AS (
    SELECT
        org_id,
        queue_id,
        channel_type,
        make_timestamptz(epoch_ms(created_time) // 900000 * 900000 * 1000) AS interval_start,
        created_time AS seen_at,
        queue_name,
        1 AS entered,
        (is_answered OR is_abandoned)::INTEGER AS offered,
        is_answered::INTEGER AS answered,
        (is_answered AND is_within_sl)::INTEGER AS answered_in_sl,
        is_abandoned::INTEGER AS abandoned,
        (is_abandoned AND is_abandoned_in_sl)::INTEGER AS abandoned_in_sl,
        (is_abandoned AND life_ms < $short_call_ms)::INTEGER AS short_abandoned,
        (is_abandoned AND life_ms < $short_call_ms AND is_abandoned_in_sl)::INTEGER
            AS short_abandoned_in_sl,
        (is_abandoned AND is_short_in_queue)::INTEGER AS short_abandoned_in_queue,
        CASE WHEN is_answered THEN queue_ms ELSE 0 END AS queue_answered_ms,
        CASE WHEN is_answered THEN ring_ms ELSE 0 END AS ring_answered_ms,
        0 AS handled,
        0 AS connected_ms,
        0 AS hold_ms,
        0 AS wrapup_ms,
        0 AS transfers,
        0 AS consults,
        0 AS conferences
    FROM stg_contact
    WHERE queue_id IS NOT NULL
        AND created_time >= $window_start
        AND created_time < $window_end
),
ends AS (
    SELECT
        org_id,
        queue_id,
        channel_type,
        make_timestamptz(epoch_ms(ended_time) // 900000 * 900000 * 1000) AS interval_start,
        created_time AS seen_at,
        queue_name,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1 AS handled,
        connected_ms,
        hold_ms,
        wrapup_ms,
        transfers,
        consults,
        conferences
    FROM stg_contact
    WHERE queue_id IS NOT NULL
        AND is_answered
        AND ended_time >= $window_start
        AND ended_time < $window_end
),
events AS (
    SELECT * FROM arrivals
    UNION ALL
    SELECT * FROM ends
),
counted AS (
    SELECT
        org_id,
        queue_id,
        channel_type,
        interval_start,
        arg_max(queue_name, seen_at) AS queue_name,
        sum(entered)::BIGINT AS n_entered,
        sum(offered)::BIGINT AS n_offered,
        sum(answered)::BIGINT AS n_answered,
        sum(answered_in_sl)::BIGINT AS n_answered_in_sl,
        sum(abandoned)::BIGINT AS n_abandoned,
        sum(abandoned_in_sl)::BIGINT AS n_abandoned_in_sl,
        sum(short_abandoned)::BIGINT AS n_short_abandoned,
        sum(short_abandoned_in_sl)::BIGINT AS n_short_abandoned_in_sl,
        sum(short_abandoned_in_queue)::BIGINT AS n_short_abandoned_in_queue,
        sum(queue_answered_ms)::BIGINT AS sum_queue_answered_ms,
        sum(ring_answered_ms)::BIGINT AS sum_ring_answered_ms,
        sum(handled)::BIGINT AS n_handled,
        sum(connected_ms)::BIGINT AS sum_connected_ms,
        sum(hold_ms)::BIGINT AS sum_hold_ms,
        sum(wrapup_ms)::BIGINT AS sum_wrapup_ms,
        sum(transfers)::BIGINT AS n_transfers,
        sum(consults)::BIGINT AS n_consults,
        sum(conferences)::BIGINT AS n_conferences
    FROM events
    GROUP BY ALL
),
zoned AS (
    SELECT
        c.*,
        coalesce(z.time_zone, $time_zone) AS time_zone,
        timezone(coalesce(z.time_zone, $time_zone), c.interval_start) AS interval_start_local
    FROM counted AS c
    LEFT JOIN queue_time_zone AS z ON z.queue_id = c.queue_id
)
SELECT
    org_id,
    queue_id,
    queue_name,
    channel_type,
    interval_start,
    interval_start_local,
    interval_start_local::DATE AS local_date,
    ((epoch(interval_start_local) - epoch(interval_start)) // 60)::INTEGER AS utc_offset_minutes,
    time_zone,
    n_entered,
    n_offered,
    n_answered,
    n_answered_in_sl,
    n_abandoned,
    n_abandoned_in_sl,
    n_short_abandoned,
    n_short_abandoned_in_sl,
    n_short_abandoned_in_queue,
    sum_queue_answered_ms,
    sum_ring_answered_ms,
    n_handled,
    sum_connected_ms,
    sum_hold_ms,
    sum_wrapup_ms,
    n_transfers,
    n_consults,
    n_conferences
FROM zoned
ORDER BY queue_id, channel_type, interval_start;
