-- Legacy CSRs against Search taskDetails, per org, UTC day (of the contact's start) and channel:
-- counts and summed durations (ms) side by side, their differences, and whether all agree.
-- A day or channel present on one side only shows zeros on the other.
CREATE OR REPLACE VIEW analytics.legacy_vs_search AS
WITH legacy_days AS (
    SELECT
        org_id,
        CAST(timezone('UTC', cstts) AS DATE) AS day,
        channel_type,
        count(*) AS csr_count,
        coalesce(sum(duration), 0) AS total_duration,
        coalesce(sum(queue_duration), 0) AS queue_duration,
        coalesce(sum(talk_duration), 0) AS connected_duration,
        coalesce(sum(hold_duration), 0) AS hold_duration,
        coalesce(sum(wrapup_duration), 0) AS wrapup_duration
    FROM legacy.csr
    GROUP BY ALL
),
search_days AS (
    SELECT
        org_id,
        CAST(timezone('UTC', created_time) AS DATE) AS day,
        channel_type,
        count(*) AS csr_count,
        coalesce(sum(total_duration), 0) AS total_duration,
        coalesce(sum(queue_duration), 0) AS queue_duration,
        coalesce(sum(connected_duration), 0) AS connected_duration,
        coalesce(sum(hold_duration), 0) AS hold_duration,
        coalesce(sum(wrapup_duration), 0) AS wrapup_duration
    FROM search.task_details
    GROUP BY ALL
),
joined AS (
    SELECT
        coalesce(l.org_id, s.org_id) AS org_id,
        coalesce(l.day, s.day) AS day,
        coalesce(l.channel_type, s.channel_type) AS channel_type,
        coalesce(l.csr_count, 0) AS legacy_csr_count,
        coalesce(s.csr_count, 0) AS search_csr_count,
        coalesce(l.total_duration, 0) AS legacy_total_duration,
        coalesce(s.total_duration, 0) AS search_total_duration,
        coalesce(l.queue_duration, 0) AS legacy_queue_duration,
        coalesce(s.queue_duration, 0) AS search_queue_duration,
        coalesce(l.connected_duration, 0) AS legacy_connected_duration,
        coalesce(s.connected_duration, 0) AS search_connected_duration,
        coalesce(l.hold_duration, 0) AS legacy_hold_duration,
        coalesce(s.hold_duration, 0) AS search_hold_duration,
        coalesce(l.wrapup_duration, 0) AS legacy_wrapup_duration,
        coalesce(s.wrapup_duration, 0) AS search_wrapup_duration
    FROM legacy_days AS l
    FULL OUTER JOIN search_days AS s
        ON l.org_id = s.org_id
        AND l.day = s.day
        AND l.channel_type IS NOT DISTINCT FROM s.channel_type
)
SELECT
    org_id,
    day,
    channel_type,
    legacy_csr_count,
    search_csr_count,
    legacy_csr_count - search_csr_count AS csr_count_difference,
    legacy_total_duration,
    search_total_duration,
    legacy_total_duration - search_total_duration AS total_duration_difference,
    legacy_queue_duration,
    search_queue_duration,
    legacy_queue_duration - search_queue_duration AS queue_duration_difference,
    legacy_connected_duration,
    search_connected_duration,
    legacy_connected_duration - search_connected_duration AS connected_duration_difference,
    legacy_hold_duration,
    search_hold_duration,
    legacy_hold_duration - search_hold_duration AS hold_duration_difference,
    legacy_wrapup_duration,
    search_wrapup_duration,
    legacy_wrapup_duration - search_wrapup_duration AS wrapup_duration_difference,
    (
        legacy_csr_count = search_csr_count
        AND legacy_total_duration = search_total_duration
        AND legacy_queue_duration = search_queue_duration
        AND legacy_connected_duration = search_connected_duration
        AND legacy_hold_duration = search_hold_duration
        AND legacy_wrapup_duration = search_wrapup_duration
    ) AS agrees
FROM joined
ORDER BY org_id, day, channel_type;
