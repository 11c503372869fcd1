-- Rows a reload of one window of reporting.agent_statistics replaces: those of org $org_id
-- whose interval_start_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM reporting.agent_statistics AS target
WHERE (
        target.org_id = $org_id
        AND target.interval_start_time >= $window_start
        AND target.interval_start_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_agent_statistics AS staged
        WHERE staged.org_id = target.org_id AND staged.agent_id = target.agent_id AND staged.interval_start_time = target.interval_start_time AND staged.channel_type = target.channel_type
    );
