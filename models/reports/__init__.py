"""What a person reads: the status screen and the JSON export."""
