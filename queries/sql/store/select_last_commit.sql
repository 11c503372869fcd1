-- SQLite. The newest commit, and the one the published warehouse holds.
SELECT
    (SELECT coalesce(max(id), 0) FROM commits),
    (SELECT coalesce(max(commit_id), -1) FROM published)
