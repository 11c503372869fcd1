-- Rows a reload of one window of reporting.tasks replaces: those of org $org_id
-- whose attributes_created_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM reporting.tasks AS target
WHERE (
        target.org_id = $org_id
        AND target.attributes_created_time >= $window_start
        AND target.attributes_created_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_tasks AS staged
        WHERE staged.org_id = target.org_id AND staged.id = target.id
    );
