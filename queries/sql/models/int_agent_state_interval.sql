-- int_agent_state_interval: each agent state cut at 15-minute boundaries (clipping): one row per
-- state and UTC quarter-hour it overlaps within [$window_start, $window_end), with the
-- milliseconds that fall in that quarter-hour. Summed per interval they give state time that
-- adds up across intervals to the state's whole length.
-- Grain: agent state x 15-minute interval. Materialized: temporary table, per window.
CREATE OR REPLACE TEMP TABLE int_agent_state_interval AS
WITH bounded AS (
    SELECT
        *,
        greatest(epoch_ms(start_time), epoch_ms($window_start::TIMESTAMPTZ)) AS lo_ms,
        least(epoch_ms(end_time), epoch_ms($window_end::TIMESTAMPTZ)) AS hi_ms
    FROM stg_agent_state
),
cut AS (
    SELECT
        b.*,
        unnest(range(b.lo_ms // 900000 * 900000, b.hi_ms, 900000)) AS q_ms
    FROM bounded AS b
    WHERE b.hi_ms > b.lo_ms
)
SELECT
    org_id,
    agent_id,
    agent_name,
    team_id,
    channel_type,
    state,
    make_timestamptz(q_ms * 1000) AS interval_start,
    least(hi_ms, q_ms + 900000) - greatest(lo_ms, q_ms) AS ms
FROM cut;
