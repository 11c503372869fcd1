-- The org ids under which windows of the org's partition name $org were landed (an attempt
-- that succeeded or is open): what the marts read. A failed attempt (a mistyped org id whose
-- sign-in failed) landed nothing and names no tenant the warehouse holds.
SELECT DISTINCT org_id FROM ops.extraction_log
WHERE org = $org AND status IN ('success', 'open')
ORDER BY org_id
