-- Rows a reload of one window of reporting.agent_activities replaces: those of org $org_id
-- whose start_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM reporting.agent_activities AS target
WHERE (
        target.org_id = $org_id
        AND target.start_time >= $window_start
        AND target.start_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_agent_activities AS staged
        WHERE staged.org_id = target.org_id AND staged.agent_session_id = target.agent_session_id AND staged.channel_id = target.channel_id AND staged.start_time = target.start_time
    );
