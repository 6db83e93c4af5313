"""The daily digest: what it says, and that it goes once, at the hour, only with news."""
