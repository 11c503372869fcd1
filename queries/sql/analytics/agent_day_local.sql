-- analytics.agent_day_local: Agent x channel x local calendar day of the tenant's time zone: sums of agent_interval_15m, with the metrics.
-- Rendered from warehouse/metrics.py (python -m warehouse.metrics); edit it there.
CREATE OR REPLACE VIEW analytics.agent_day_local AS
WITH rolled AS (
    SELECT
        org_id,
        agent_id,
        channel_type,
        local_date,
        time_zone,
        count(*) AS intervals_with_rows,
        arg_max(agent_name, interval_start) AS agent_name,
        arg_max(team_id, interval_start) AS team_id,
        sum(sum_staffed_ms)::BIGINT AS sum_staffed_ms,
        sum(sum_available_ms)::BIGINT AS sum_available_ms,
        sum(sum_idle_ms)::BIGINT AS sum_idle_ms,
        sum(sum_ringing_ms)::BIGINT AS sum_ringing_ms,
        sum(sum_connected_ms)::BIGINT AS sum_connected_ms,
        sum(sum_hold_ms)::BIGINT AS sum_hold_ms,
        sum(sum_consult_ms)::BIGINT AS sum_consult_ms,
        sum(sum_wrapup_ms)::BIGINT AS sum_wrapup_ms,
        sum(sum_busy_ms)::BIGINT AS sum_busy_ms,
        sum(n_rona)::BIGINT AS n_rona,
        sum(n_handled)::BIGINT AS n_handled,
        sum(sum_handle_ms)::BIGINT AS sum_handle_ms,
        sum(n_transfers)::BIGINT AS n_transfers,
        sum(n_consults)::BIGINT AS n_consults,
        sum(n_conferences)::BIGINT AS n_conferences
    FROM analytics.agent_interval_15m
    GROUP BY org_id, agent_id, channel_type, local_date, time_zone
)
SELECT
    org_id,
    agent_id,
    channel_type,
    local_date,
    time_zone,
    timezone(time_zone, local_date::TIMESTAMP) AS day_start,
    ((epoch(timezone(time_zone, (local_date + 1)::TIMESTAMP)) - epoch(timezone(time_zone, local_date::TIMESTAMP))) // 900)::INTEGER AS local_intervals_15m,
    intervals_with_rows,
    agent_name,
    team_id,
    sum_staffed_ms,
    sum_available_ms,
    sum_idle_ms,
    sum_ringing_ms,
    sum_connected_ms,
    sum_hold_ms,
    sum_consult_ms,
    sum_wrapup_ms,
    sum_busy_ms,
    n_rona,
    n_handled,
    sum_handle_ms,
    n_transfers,
    n_consults,
    n_conferences,
    CAST(sum_busy_ms AS DOUBLE) / nullif(sum_busy_ms + sum_available_ms, 0) AS occupancy,
    CAST(sum_busy_ms AS DOUBLE) / nullif(sum_staffed_ms, 0) AS utilization,
    CAST(sum_handle_ms AS DOUBLE) / 1000 / nullif(n_handled, 0) AS aht_agent_s,
    CAST(n_transfers AS DOUBLE) / nullif(n_handled, 0) AS transfer_rate
FROM rolled;
