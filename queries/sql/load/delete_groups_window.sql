-- Rows a reload of one window of wfo.groups replaces: those of org $org_id
-- whose snapshot_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM wfo.groups AS target
WHERE (
        target.org_id = $org_id
        AND target.snapshot_time >= $window_start
        AND target.snapshot_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_groups AS staged
        WHERE staged.org_id = target.org_id AND staged.group_id = target.group_id AND staged.snapshot_date = target.snapshot_date
    );
