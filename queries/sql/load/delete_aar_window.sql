-- Rows a reload of one window of legacy.aar replaces: those of org $org_id
-- whose stts lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM legacy.aar AS target
WHERE (
        target.org_id = $org_id
        AND target.stts >= $window_start
        AND target.stts < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_aar AS staged
        WHERE staged.org_id = target.org_id AND staged.id = target.id
    );
