-- One row per queue for one local day ($day): every service-level variant, ASA two ways, AHT
-- two ways, abandon rate.
SELECT
    queue_name AS queue,
    channel_type AS channel,
    n_entered AS contacts,
    round(100 * sl_pct_handled_only, 1) AS "SL % handled only",
    round(100 * sl_pct_abandon_negative, 1) AS "SL % abandons negative",
    round(100 * sl_pct_abandon_ignored, 1) AS "SL % abandons ignored",
    round(asa_s, 1) AS "ASA s",
    round(asa_with_ring_s, 1) AS "ASA+ring s",
    round(aht_queue_s, 1) AS "AHT queue s",
    round(aht_agent_s, 1) AS "AHT agent s",
    round(100 * abandon_rate_offered, 1) AS "abandon %"
FROM analytics.queue_day_local
WHERE local_date = $day
ORDER BY contacts DESC
