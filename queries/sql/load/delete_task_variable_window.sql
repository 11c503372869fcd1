-- Rows a reload of one window of search.task_variable replaces: those of org $org_id
-- whose task_created_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- row of a staged row's parent, wherever it was loaded before.
DELETE FROM search.task_variable AS target
WHERE (
        target.org_id = $org_id
        AND target.task_created_time >= $window_start
        AND target.task_created_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_task_variable AS staged
        WHERE staged.org_id = target.org_id AND staged.task_id = target.task_id
    );
