"""What runs in the background, on the scheduler: announcements at Telegram's rate
(broadcaster), event publication, reminders and notices (events), the secretaries' digest."""
