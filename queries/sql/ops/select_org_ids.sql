-- The org ids the extraction log has landed windows under for the org named $org (an org's id
-- comes from its configuration or its access token; consumers of landed data read it here
-- instead of asking the API again).
SELECT DISTINCT org_id
FROM ops.extraction_log
WHERE org = $org AND status = 'success'
ORDER BY org_id
