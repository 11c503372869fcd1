-- The org ids the extraction log has seen under the org's partition name $org. Every attempt's
-- outcome ($landed_only false): an interrupted load marks the windows of an org that has only
-- `running` attempts so far. Landed windows only ($landed_only true: succeeded or open): the
-- marts read the id the sources were landed under; a failed attempt (a mistyped org id whose
-- sign-in failed) landed nothing and names no tenant the warehouse holds.
SELECT DISTINCT org_id FROM ops.extraction_log
WHERE org = $org AND (NOT $landed_only OR status IN ('success', 'open'))
ORDER BY org_id
