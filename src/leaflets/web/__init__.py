"""The clinicians' page, search and the Infobutton responder: thin doors over build."""
