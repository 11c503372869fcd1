-- agent_interval_15m (mart, analytics.agent_interval_15m): per org, agent, channel and
-- 15-minute UTC interval in [$window_start, $window_end), state time clipped to the interval
-- (int_agent_state_interval), RONAs at their start, and the contacts the agent handled last that
-- ended in the interval (end clock, stg_contact). Local columns use $time_zone (the tenant's).
-- Reads: int_agent_state_interval, stg_agent_state, stg_contact.
-- Grain: agent x channel x 15-minute UTC interval.
WITH states AS (
    SELECT
        org_id,
        agent_id,
        channel_type,
        interval_start,
        arg_max(agent_name, interval_start) AS agent_name,
        arg_max(team_id, interval_start) AS team_id,
        sum(ms) FILTER (WHERE state <> 'logged-out') AS staffed,
        sum(ms) FILTER (WHERE state = 'available') AS available,
        sum(ms) FILTER (WHERE state = 'idle') AS idle,
        sum(ms) FILTER (WHERE state IN ('ringing', 'outdial-reserved')) AS ringing,
        sum(ms) FILTER (WHERE state IN ('connected', 'hold-done', 'consult-done')) AS connected,
        sum(ms) FILTER (WHERE state = 'on-hold') AS hold,
        sum(ms) FILTER (WHERE state = 'consulting') AS consult,
        sum(ms) FILTER (WHERE state = 'wrapup') AS wrapup
    FROM int_agent_state_interval
    GROUP BY ALL
),
ronas AS (
    SELECT
        org_id,
        agent_id,
        channel_type,
        make_timestamptz(epoch_ms(start_time) // 900000 * 900000 * 1000) AS interval_start,
        count(*) AS rona
    FROM stg_agent_state
    WHERE state = 'rona' AND start_time >= $window_start AND start_time < $window_end
    GROUP BY ALL
),
handled AS (
    SELECT
        org_id,
        agent_id,
        channel_type,
        make_timestamptz(epoch_ms(ended_time) // 900000 * 900000 * 1000) AS interval_start,
        count(*) AS handled,
        sum(connected_ms + hold_ms + wrapup_ms) AS handle_ms,
        sum(transfers) AS transfers,
        sum(consults) AS consults,
        sum(conferences) AS conferences
    FROM stg_contact
    WHERE agent_id IS NOT NULL
        AND is_answered
        AND ended_time >= $window_start
        AND ended_time < $window_end
    GROUP BY ALL
),
keys AS (
    SELECT org_id, agent_id, channel_type, interval_start FROM states
    UNION
    SELECT org_id, agent_id, channel_type, interval_start FROM ronas
    UNION
    SELECT org_id, agent_id, channel_type, interval_start FROM handled
),
joined AS (
    SELECT
        k.*,
        s.agent_name,
        s.team_id,
        coalesce(s.staffed, 0) AS sum_staffed_ms,
        coalesce(s.available, 0) AS sum_available_ms,
        coalesce(s.idle, 0) AS sum_idle_ms,
        coalesce(s.ringing, 0) AS sum_ringing_ms,
        coalesce(s.connected, 0) AS sum_connected_ms,
        coalesce(s.hold, 0) AS sum_hold_ms,
        coalesce(s.consult, 0) AS sum_consult_ms,
        coalesce(s.wrapup, 0) AS sum_wrapup_ms,
        coalesce(r.rona, 0) AS n_rona,
        coalesce(h.handled, 0) AS n_handled,
        coalesce(h.handle_ms, 0) AS sum_handle_ms,
        coalesce(h.transfers, 0) AS n_transfers,
        coalesce(h.consults, 0) AS n_consults,
        coalesce(h.conferences, 0) AS n_conferences,
        timezone($time_zone, k.interval_start) AS interval_start_local
    FROM keys AS k
    LEFT JOIN states AS s USING (org_id, agent_id, channel_type, interval_start)
    LEFT JOIN ronas AS r USING (org_id, agent_id, channel_type, interval_start)
    LEFT JOIN handled AS h USING (org_id, agent_id, channel_type, interval_start)
)
SELECT
    org_id,
    agent_id,
    agent_name,
    team_id,
    channel_type,
    interval_start,
    interval_start_local,
    interval_start_local::DATE AS local_date,
    ((epoch(interval_start_local) - epoch(interval_start)) // 60)::INTEGER AS utc_offset_minutes,
    $time_zone AS time_zone,
    sum_staffed_ms::BIGINT AS sum_staffed_ms,
    sum_available_ms::BIGINT AS sum_available_ms,
    sum_idle_ms::BIGINT AS sum_idle_ms,
    sum_ringing_ms::BIGINT AS sum_ringing_ms,
    sum_connected_ms::BIGINT AS sum_connected_ms,
    sum_hold_ms::BIGINT AS sum_hold_ms,
    sum_consult_ms::BIGINT AS sum_consult_ms,
    sum_wrapup_ms::BIGINT AS sum_wrapup_ms,
    (sum_connected_ms + sum_hold_ms + sum_consult_ms + sum_wrapup_ms)::BIGINT AS sum_busy_ms,
    n_rona::BIGINT AS n_rona,
    n_handled::BIGINT AS n_handled,
    sum_handle_ms::BIGINT AS sum_handle_ms,
    n_transfers::BIGINT AS n_transfers,
    n_consults::BIGINT AS n_consults,
    n_conferences::BIGINT AS n_conferences
FROM joined
ORDER BY agent_id, channel_type, interval_start;
