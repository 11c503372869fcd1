-- search.agent_session: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS search.agent_session (
    org_id                   VARCHAR NOT NULL,
    is_active                BOOLEAN,
    agent_id                 VARCHAR,
    agent_name               VARCHAR,
    agent_session_id         VARCHAR NOT NULL,
    agent_sign_out_reason    VARCHAR,
    user_login_id            VARCHAR,
    end_time                 TIMESTAMPTZ,
    start_time               TIMESTAMPTZ,
    state                    VARCHAR,
    site_id                  VARCHAR,
    site_name                VARCHAR,
    team_id                  VARCHAR,
    team_name                VARCHAR,
    org_name                 VARCHAR,
    multi_media_profile_type VARCHAR,
    skills_profile           VARCHAR,
    agent_skills             JSON,
    parent_org_id            VARCHAR,
    parent_org_name          VARCHAR,
    PRIMARY KEY (org_id, agent_session_id)
);
