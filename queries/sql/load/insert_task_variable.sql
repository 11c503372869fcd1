-- Insert a window's staged rows into search.task_variable.
INSERT INTO search.task_variable (
    org_id,
    task_id,
    task_created_time,
    name,
    type,
    string_value,
    integer_value,
    double_value,
    boolean_value
)
SELECT
    org_id,
    task_id,
    task_created_time,
    name,
    type,
    string_value,
    integer_value,
    double_value,
    boolean_value
FROM staged_task_variable;
