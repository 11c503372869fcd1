-- Insert a window's staged rows into wfo.evaluation_scores.
INSERT INTO wfo.evaluation_scores (
    org_id,
    evaluation_id,
    evaluated_time,
    agent_id,
    person_id,
    agent_name,
    team_name,
    form_id,
    form_name,
    task_id,
    channel_type,
    score,
    max_score,
    passed
)
SELECT
    org_id,
    evaluation_id,
    evaluated_time,
    agent_id,
    person_id,
    agent_name,
    team_name,
    form_id,
    form_name,
    task_id,
    channel_type,
    score,
    max_score,
    passed
FROM staged_evaluation_scores;
