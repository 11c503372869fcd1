-- The local days the marts hold, newest first (the dashboard's day picker).
SELECT DISTINCT local_date FROM analytics.queue_day_local ORDER BY local_date DESC
