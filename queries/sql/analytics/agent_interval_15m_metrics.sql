-- analytics.agent_interval_15m_metrics: analytics.agent_interval_15m with occupancy, utilization and AHT (ratios computed).
-- Rendered from warehouse/metrics.py (python -m warehouse.metrics); edit it there.
CREATE OR REPLACE VIEW analytics.agent_interval_15m_metrics AS
SELECT
    *,
    CAST(sum_busy_ms AS DOUBLE) / nullif(sum_busy_ms + sum_available_ms, 0) AS occupancy,
    CAST(sum_busy_ms AS DOUBLE) / nullif(sum_staffed_ms, 0) AS utilization,
    CAST(sum_handle_ms AS DOUBLE) / 1000 / nullif(n_handled, 0) AS aht_agent_s,
    CAST(n_transfers AS DOUBLE) / nullif(n_handled, 0) AS transfer_rate
FROM analytics.agent_interval_15m;
