-- Rows a reload of one window of search.agent_session_channel replaces: those of org $org_id
-- whose agent_session_start_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- row of a staged row's parent, wherever it was loaded before.
DELETE FROM search.agent_session_channel AS target
WHERE (
        target.org_id = $org_id
        AND target.agent_session_start_time >= $window_start
        AND target.agent_session_start_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_agent_session_channel AS staged
        WHERE staged.org_id = target.org_id AND staged.agent_session_id = target.agent_session_id
    );
