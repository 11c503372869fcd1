-- Rows a reload of one window of wfo.evaluation_scores replaces: those of org $org_id
-- whose evaluated_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM wfo.evaluation_scores AS target
WHERE (
        target.org_id = $org_id
        AND target.evaluated_time >= $window_start
        AND target.evaluated_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_evaluation_scores AS staged
        WHERE staged.org_id = target.org_id AND staged.evaluation_id = target.evaluation_id
    );
