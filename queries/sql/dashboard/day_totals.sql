-- Headline figures of one local day over all queues ($day): volume, service level handled only
-- and abandons negative, ASA, abandon rate.
SELECT
    sum(n_entered) AS contacts,
    CAST(sum(n_answered_in_sl) AS DOUBLE) / nullif(sum(n_answered), 0) AS sl_handled_only,
    CAST(sum(n_answered_in_sl) AS DOUBLE)
        / nullif(sum(n_answered) + sum(n_abandoned), 0) AS sl_abandon_negative,
    CAST(sum(sum_queue_answered_ms) AS DOUBLE) / nullif(sum(n_answered), 0) / 1000 AS asa_s,
    CAST(sum(n_abandoned) AS DOUBLE) / nullif(sum(n_offered), 0) AS abandon_rate
FROM analytics.queue_day_local
WHERE local_date = $day
