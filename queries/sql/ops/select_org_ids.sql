-- The org ids the extraction log has seen under the org's partition name $org.
SELECT DISTINCT org_id FROM ops.extraction_log WHERE org = $org ORDER BY org_id
