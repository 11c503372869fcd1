-- Rows a reload of one window of legacy.csr replaces: those of org $org_id
-- whose cstts lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM legacy.csr AS target
WHERE (
        target.org_id = $org_id
        AND target.cstts >= $window_start
        AND target.cstts < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_csr AS staged
        WHERE staged.org_id = target.org_id AND staged.sid = target.sid
    );
