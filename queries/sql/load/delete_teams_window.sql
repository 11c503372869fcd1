-- Rows a reload of one window of wfo.teams replaces: those of org $org_id
-- whose snapshot_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM wfo.teams AS target
WHERE (
        target.org_id = $org_id
        AND target.snapshot_time >= $window_start
        AND target.snapshot_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_teams AS staged
        WHERE staged.org_id = target.org_id AND staged.team_id = target.team_id AND staged.snapshot_date = target.snapshot_date
    );
