"""Quality and approval: the check command's run, the clinicians' review sheet, the content formats' commands."""
