-- Every schema, table, view and row of the writer's warehouse into the new published copy.
COPY FROM DATABASE warehouse TO publish_copy
