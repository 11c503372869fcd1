-- Rows a reload of one window of analytics.agent_interval_15m replaces: those of org $org_id
-- whose interval_start lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM analytics.agent_interval_15m AS target
WHERE (
        target.org_id = $org_id
        AND target.interval_start >= $window_start
        AND target.interval_start < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_agent_interval_15m AS staged
        WHERE staged.org_id = target.org_id AND staged.agent_id = target.agent_id AND staged.channel_type = target.channel_type AND staged.interval_start = target.interval_start
    );
