-- analytics.dim_channel: the channel types of Webex Contact Center and whether each is
-- synchronous (a customer waits on the line) or not.
CREATE OR REPLACE VIEW analytics.dim_channel AS
SELECT * FROM (
    VALUES
        ('telephony', 'Voice', true),
        ('chat', 'Chat', true),
        ('email', 'Email', false),
        ('social', 'Social messaging', false)
) AS channels(channel_type, channel_name, is_synchronous);
