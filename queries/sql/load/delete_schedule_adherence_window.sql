-- Rows a reload of one window of wfo.schedule_adherence replaces: those of org $org_id
-- whose scheduled_start lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM wfo.schedule_adherence AS target
WHERE (
        target.org_id = $org_id
        AND target.scheduled_start >= $window_start
        AND target.scheduled_start < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_schedule_adherence AS staged
        WHERE staged.org_id = target.org_id AND staged.agent_id = target.agent_id AND staged.scheduled_start = target.scheduled_start
    );
