"""Narrative Tracker: how a story's frames spread through the news."""
