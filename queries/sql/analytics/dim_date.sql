-- analytics.dim_date: one row per calendar date from 2020-01-01 to 2040-12-31 (a fixed range:
-- the view needs no data), with the parts analysts group by.
CREATE OR REPLACE VIEW analytics.dim_date AS
SELECT
    d::DATE AS date,
    year(d) AS year,
    quarter(d) AS quarter,
    month(d) AS month,
    monthname(d) AS month_name,
    isodow(d) AS iso_day_of_week,
    dayname(d) AS day_name,
    isodow(d) >= 6 AS is_weekend,
    yearweek(d) AS iso_year_week
FROM range(DATE '2020-01-01', DATE '2041-01-01', INTERVAL 1 DAY) AS t(d);
