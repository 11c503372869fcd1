-- The org ids the extraction log has seen under the org's partition name $org, whatever the
-- attempt's outcome: an interrupted load marks the windows of an org that has only `running`
-- attempts so far, and the marts read the id the sources were landed under.
SELECT DISTINCT org_id FROM ops.extraction_log WHERE org = $org ORDER BY org_id
