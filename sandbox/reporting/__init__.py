"""The sandbox's reporting REST APIs: /v1/tasks, queue and agent statistics, agent activities,
captures; computed from the same data model as Search."""
