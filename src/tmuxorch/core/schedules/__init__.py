"""Schedules: messages sent later, on a timer, a cron line or an agent going idle (issue 14)."""
