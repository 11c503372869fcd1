-- Rows a reload of one window of search.task_leg_details replaces: those of org $org_id
-- whose created_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM search.task_leg_details AS target
WHERE (
        target.org_id = $org_id
        AND target.created_time >= $window_start
        AND target.created_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_task_leg_details AS staged
        WHERE staged.org_id = target.org_id AND staged.id = target.id
    );
