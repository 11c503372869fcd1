-- analytics.queue_interval_15m_metrics: analytics.queue_interval_15m with every metric variant (ratios computed, not stored).
-- Rendered from warehouse/metrics.py (python -m warehouse.metrics); edit it there.
CREATE OR REPLACE VIEW analytics.queue_interval_15m_metrics AS
SELECT
    *,
    CAST(n_answered_in_sl AS DOUBLE) / nullif(n_answered, 0) AS sl_pct_handled_only,
    CAST(n_answered_in_sl AS DOUBLE) / nullif(n_answered + n_abandoned, 0) AS sl_pct_abandon_negative,
    CAST(n_answered_in_sl AS DOUBLE) / nullif(n_answered + n_abandoned - n_abandoned_in_sl, 0) AS sl_pct_abandon_ignored,
    CAST(n_answered_in_sl + n_abandoned_in_sl AS DOUBLE) / nullif(n_answered + n_abandoned, 0) AS sl_pct_abandon_positive,
    CAST(n_answered_in_sl AS DOUBLE) / nullif(n_answered + n_abandoned - n_short_abandoned, 0) AS sl_pct_excl_short,
    CAST(n_abandoned AS DOUBLE) / nullif(n_offered, 0) AS abandon_rate_offered,
    CAST(n_abandoned AS DOUBLE) / nullif(n_entered, 0) AS abandon_rate_entered,
    CAST(n_short_abandoned AS DOUBLE) / nullif(n_abandoned, 0) AS short_abandon_share,
    CAST(sum_queue_answered_ms AS DOUBLE) / 1000 / nullif(n_answered, 0) AS asa_s,
    CAST(sum_queue_answered_ms + sum_ring_answered_ms AS DOUBLE) / 1000 / nullif(n_answered, 0) AS asa_with_ring_s,
    CAST(sum_connected_ms AS DOUBLE) / 1000 / nullif(n_handled, 0) AS aht_queue_s,
    CAST(sum_connected_ms + sum_hold_ms + sum_wrapup_ms AS DOUBLE) / 1000 / nullif(n_handled, 0) AS aht_agent_s,
    CAST(n_transfers AS DOUBLE) / nullif(n_handled, 0) AS transfer_rate,
    CAST(n_consults AS DOUBLE) / nullif(n_handled, 0) AS consult_rate,
    CAST(n_conferences AS DOUBLE) / nullif(n_handled, 0) AS conference_rate
FROM analytics.queue_interval_15m;
